-- wrk script of scripts/bench.sh, for the URL given to wrk. BENCH_MODE: get (anonymous), auth (a random
-- seed user's token per request) or like (POST like/unlike, alternating, on
-- random videos). Counts replies whose status_code is not 0, and prints one
-- RESULT line: requests seconds p50_ms p99_ms http_errors status_errors.
local mode = os.getenv("BENCH_MODE") or "get"
local firstv = tonumber(os.getenv("BENCH_FIRST_VIDEO") or "1")
local lastv = tonumber(os.getenv("BENCH_LAST_VIDEO") or "1")
local tokens = {}
local tokfile = os.getenv("BENCH_TOKENS")
if tokfile then
  for line in io.lines(tokfile) do tokens[#tokens + 1] = line end
end

local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  errs = 0
  n = 0
  math.randomseed(os.time() * 1000 + id)
end

function request()
  n = n + 1
  if mode == "like" then
    local tok = tokens[math.random(#tokens)]
    local action = (n % 2 == 0) and 2 or 1
    return wrk.format("POST", "/douyin/favorite/action/?token=" .. tok .. "&video_id=" ..
      math.random(firstv, lastv) .. "&action_type=" .. action)
  end
  local p = wrk.path
  if mode == "auth" then
    local sep = p:find("?", 1, true) and "&" or "?"
    p = p .. sep .. "token=" .. tokens[math.random(#tokens)]
  end
  return wrk.format("GET", p)
end

function response(status, headers, body)
  if not body:find('"status_code":0,', 1, true) then errs = errs + 1 end
end

function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do e = e + (t:get("errs") or 0) end
  local he = summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %d %.3f %.3f %.3f %d %d\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, he, e))
end
