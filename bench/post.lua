-- bench/post.lua: wrk script for bench/run's POST targets.  bench/run sets,
-- in the environment:
--   BENCH_BODY_FILE     the body, sent as it is (no newline added)
--   BENCH_CONTENT_TYPE  its Content-Type
--   BENCH_COOKIE        Cookie header (the session), may be empty
--   BENCH_CSRF          X-CSRF-Token header, may be empty
--   BENCH_SENDERS       optional: a file of lines "cookie<TAB>csrf<TAB>body
--                       file", one per applicant; the requests then go round
--                       them (each thread starting at another one) instead
--                       of the three settings above
--   BENCH_ROTATE        "request" (default): each request goes to the next
--                       applicant; "thread": each wrk thread sends as one
--                       of them, its request built once (wrk copies every
--                       request that request() returns: 2 MiB an upload)

local function need(name)
    local v = os.getenv(name)
    if v == nil or v == "" then
        error("bench/post.lua: " .. name .. " is not set")
    end
    return v
end

local function slurp(path)
    local f = assert(io.open(path, "rb"))
    local s = f:read("*a")
    f:close()
    return s
end

wrk.body = slurp(need("BENCH_BODY_FILE"))
wrk.method = "POST"
wrk.headers["Content-Type"] = need("BENCH_CONTENT_TYPE")
wrk.headers["Accept"] = "application/json"
local cookie, csrf = os.getenv("BENCH_COOKIE"), os.getenv("BENCH_CSRF")
if cookie ~= nil and cookie ~= "" then
    wrk.headers["Cookie"] = cookie
end
if csrf ~= nil and csrf ~= "" then
    wrk.headers["X-CSRF-Token"] = csrf
end

local senders = os.getenv("BENCH_SENDERS")
local rotate = os.getenv("BENCH_ROTATE") or "request"
local reqs, n, i = {}, 0, 0
local threads = 0

function setup(thread)
    thread:set("first", threads)
    threads = threads + 1
end

function init(args)
    if senders == nil or senders == "" then
        return
    end
    local bodies, lines = {}, {}
    for line in io.lines(senders) do
        local c, t, b = line:match("^([^\t]*)\t([^\t]*)\t(.+)$")
        if c ~= nil then
            lines[#lines + 1] = {c, t, b}
        end
    end
    if rotate == "thread" then
        -- one applicant per thread, the request built once: wrk copies a
        -- request built by request() for every send (2 MiB for an upload)
        local l = lines[(first or 0) % #lines + 1]
        wrk.headers["Cookie"] = l[1]
        wrk.headers["X-CSRF-Token"] = l[2]
        wrk.body = slurp(l[3])
        return
    end
    for _, l in ipairs(lines) do
        bodies[l[3]] = bodies[l[3]] or slurp(l[3])
        local h = {}
        for k, v in pairs(wrk.headers) do
            h[k] = v
        end
        h["Cookie"] = l[1]
        h["X-CSRF-Token"] = l[2]
        n = n + 1
        reqs[n] = wrk.format("POST", wrk.path, h, bodies[l[3]])
    end
    -- each thread starts at another applicant
    i = (first or 0) * 7
end

if senders ~= nil and senders ~= "" and rotate ~= "thread" then
    function request()
        i = i % n + 1
        return reqs[i]
    end
end
