-- bench/post.lua: wrk script for bench/run's POST targets.  Every request
-- is the same POST; bench/run sets, in the environment:
--   BENCH_BODY_FILE     the body, sent as it is (no newline added)
--   BENCH_CONTENT_TYPE  its Content-Type
--   BENCH_COOKIE        Cookie header (the session), may be empty
--   BENCH_CSRF          X-CSRF-Token header, may be empty

local function need(name)
    local v = os.getenv(name)
    if v == nil or v == "" then
        error("bench/post.lua: " .. name .. " is not set")
    end
    return v
end

local f = assert(io.open(need("BENCH_BODY_FILE"), "rb"))
wrk.body = f:read("*a")
f:close()
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
