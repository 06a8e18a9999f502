-- bench/mix.lua: wrk script for bench/run's memory phase: GETs that take
-- turns over the paths in BENCH_PATHS (separated by spaces), with the
-- session cookie BENCH_COOKIE and Accept: text/html.

local paths = {}
for p in string.gmatch(os.getenv("BENCH_PATHS") or "", "%S+") do
    paths[#paths + 1] = p
end
if #paths == 0 then
    error("bench/mix.lua: BENCH_PATHS is not set")
end
wrk.headers["Accept"] = "text/html"
local cookie = os.getenv("BENCH_COOKIE")
if cookie ~= nil and cookie ~= "" then
    wrk.headers["Cookie"] = cookie
end

local i = 0
request = function()
    i = i % #paths + 1
    return wrk.format("GET", paths[i])
end
