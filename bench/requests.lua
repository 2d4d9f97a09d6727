-- wrk script: spreads requests over the lines of a file, and prints a machine-readable
-- summary when the run ends.
--
--   wrk ... -s bench/requests.lua -- FILE [get|post]
--
-- get:  each line is a path; requests cycle through them.
-- post: each line is `path<TAB>body`; each request POSTs the body as JSON.
-- Threads start at different offsets, so the load spreads over the whole list.

local requests = {}
local count = 0
local position = 0
local thread_number = 0

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

function init(args)
  local file = args[1]
  local mode = args[2] or "get"
  local handle = assert(io.open(file, "r"), "cannot open " .. tostring(file))
  for line in handle:lines() do
    if #line > 0 then
      if mode == "post" then
        local tab = line:find("\t", 1, true)
        local path = line:sub(1, tab - 1)
        local body = line:sub(tab + 1)
        requests[#requests + 1] = wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body)
      else
        requests[#requests + 1] = wrk.format("GET", line)
      end
    end
  end
  handle:close()
  count = #requests
  assert(count > 0, "no requests in " .. file)
  -- Spread threads over the list; a prime stride keeps neighbours apart.
  position = ((thread_number - 1) * 7919) % count
end

function request()
  position = position + 1
  if position > count then
    position = 1
  end
  return requests[position]
end

function done(summary, latency, _)
  local errors = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d bytes=%d seconds=%.2f\n",
    summary.requests / seconds,
    latency:percentile(50.0) / 1000,
    latency:percentile(99.0) / 1000,
    latency.max / 1000,
    summary.requests,
    errors.status, errors.connect, errors.read, errors.write, errors.timeout,
    summary.bytes,
    seconds))
end
