-- wrk script of scripts/bench.sh, for the URL given to wrk. BENCH_MODE:
--   get      anonymous GET of the URL
--   auth     the URL with a random seed user's token
--   like     POST like or unlike (alternating) of a random video by a random user
--   hot      like then unlike of one video (BENCH_HOT_VIDEO), each thread
--            taking its own users in turn: many different users on one video
--   follow   follow or unfollow (alternating) of a random seed user by a random user
--   message  a message to a random seed user, then seven of the app's chat
--            polls of that conversation (the app polls while a chat is open;
--            one send in four met the message limit at 1x, 1,000 users)
--   login    login of a random seed user, from a random address (the
--            benchmark's gateway trusts 127.0.0.1's X-Forwarded-For)
-- BENCH_TOKENS is `tiktok seed --tokens`: "token user_id" lines.
-- Prints one line:
--   RESULT requests seconds p50_ms p99_ms http_errors status_errors kinds
-- kinds: count of each kind of error, "connect:0,read:0,write:0,timeout:0,http:0,10008:0,10009:0,10010:0,other:0".
local mode = os.getenv("BENCH_MODE") or "get"
local firstv = tonumber(os.getenv("BENCH_FIRST_VIDEO") or "1")
local lastv = tonumber(os.getenv("BENCH_LAST_VIDEO") or "1")
local hotv = os.getenv("BENCH_HOT_VIDEO") or "0"
local pass = os.getenv("BENCH_PASSWORD") or "pass123456"
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2") -- wrk -t
local tokens, uids = {}, {}
local tokfile = os.getenv("BENCH_TOKENS")
if tokfile then
  for line in io.lines(tokfile) do
    local t, u = line:match("^(%S+)%s*(%d*)")
    if t then
      tokens[#tokens + 1] = t
      uids[#uids + 1] = u
    end
  end
end

local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  errs, n = 0, 0
  c10008, c10009, c10010, cother = 0, 0, 0, 0
  math.randomseed(os.time() * 1000 + id)
  turn = {} -- hot: how many actions each of this thread's users sent
end

local function rnd(t) return math.random(#t) end

function request()
  n = n + 1
  if mode == "like" then
    return wrk.format("POST", "/douyin/favorite/action/?token=" .. tokens[rnd(tokens)] .. "&video_id=" ..
      math.random(firstv, lastv) .. "&action_type=" .. ((n % 2 == 0) and 2 or 1))
  elseif mode == "hot" then
    -- Thread id takes tokens id, id+nthreads...; a user's likes and
    -- unlikes alternate.
    local k = ((n - 1) * nthreads + id - 1) % #tokens + 1
    turn[k] = (turn[k] or 0) + 1
    return wrk.format("POST", "/douyin/favorite/action/?token=" .. tokens[k] .. "&video_id=" .. hotv ..
      "&action_type=" .. ((turn[k] % 2 == 1) and 1 or 2))
  elseif mode == "follow" then
    local i, j = rnd(tokens), rnd(uids)
    if i == j then j = j % #uids + 1 end
    return wrk.format("POST", "/douyin/relation/action/?token=" .. tokens[i] .. "&to_user_id=" .. uids[j] ..
      "&action_type=" .. ((n % 2 == 0) and 2 or 1))
  elseif mode == "message" then
    -- A send, then seven polls of the conversation just written to.
    if n % 8 == 1 then
      last_i, last_j = rnd(tokens), rnd(uids)
      if last_i == last_j then last_j = last_j % #uids + 1 end
      return wrk.format("POST", "/douyin/message/action/?token=" .. tokens[last_i] .. "&to_user_id=" .. uids[last_j] ..
        "&action_type=1&content=hello%20" .. n)
    end
    return wrk.format("GET", "/douyin/message/chat/?token=" .. tokens[last_i] .. "&to_user_id=" .. uids[last_j] ..
      "&pre_msg_time=" .. ((os.time() - 60) * 1000))
  elseif mode == "login" then
    local ip = "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(1, 254)
    return wrk.format("POST", string.format("/douyin/user/login/?username=seed_user_%04d&password=%s",
      math.random(1, #tokens), pass), { ["X-Forwarded-For"] = ip })
  end
  local p = wrk.path
  if mode == "auth" then
    local sep = p:find("?", 1, true) and "&" or "?"
    p = p .. sep .. "token=" .. tokens[rnd(tokens)]
  end
  return wrk.format("GET", p)
end

function response(status, headers, body)
  if body:find('"status_code":0,', 1, true) then return end
  errs = errs + 1
  local code = body:match('"status_code":(%d+)')
  if code == "10008" then c10008 = c10008 + 1
  elseif code == "10009" then c10009 = c10009 + 1
  elseif code == "10010" then c10010 = c10010 + 1
  else cother = cother + 1 end
end

function done(summary, latency, requests)
  local e, k = 0, { c10008 = 0, c10009 = 0, c10010 = 0, cother = 0 }
  for _, t in ipairs(threads) do
    e = e + (t:get("errs") or 0)
    for name, _ in pairs(k) do k[name] = k[name] + (t:get(name) or 0) end
  end
  local se = summary.errors
  local he = se.status + se.connect + se.read + se.write + se.timeout
  io.write(string.format("RESULT %d %.3f %.3f %.3f %d %d connect:%d,read:%d,write:%d,timeout:%d,http:%d,10008:%d,10009:%d,10010:%d,other:%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000, he, e,
    se.connect, se.read, se.write, se.timeout, se.status, k.c10008, k.c10009, k.c10010, k.cother))
end
