-- wrk replaying requests signed beforehand by `trent bench --presign FILE`
-- (SigV4 accepts a signed request again and again for five minutes), so
-- that the load generator is wrk's C loop, not a client that signs.
--
-- Usage: wrk -t1 -c32 -d10s -s bench/wrk-replay.lua ENDPOINT -- FILE
-- At the end it prints one JSON line: requests, seconds, req/s, latency
-- percentiles (ms), and errors (non-2xx answers and socket errors).

local requests = {}
local next_request = 0

function init(args)
   local path = args[1]
   if not path then
      error("wrk-replay.lua: give the presigned file after --")
   end
   for line in io.lines(path) do
      local fields = {}
      for field in string.gmatch(line, "[^\t]+") do
         fields[#fields + 1] = field
      end
      local body = table.remove(fields)
      local headers = {}
      for _, header in ipairs(fields) do
         local name, value = string.match(header, "^([^:]+): (.*)$")
         -- wrk.format adds Host from the URL unless "Host" is given.
         if name == "host" then
            name = "Host"
         end
         headers[name] = value
      end
      requests[#requests + 1] = wrk.format("POST", "/", headers, body)
   end
   if #requests == 0 then
      error("wrk-replay.lua: no requests in " .. path)
   end
end

function request()
   next_request = next_request % #requests + 1
   return requests[next_request]
end

function done(summary, latency, requests)
   local e = summary.errors
   local seconds = summary.duration / 1e6
   io.write(string.format(
      '{"requests": %d, "seconds": %.3f, "requests_per_second": %.1f, ' ..
      '"latency_ms": {"p50": %.3f, "p99": %.3f, "max": %.3f}, ' ..
      '"errors": {"status": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      e.status, e.connect, e.read, e.write, e.timeout))
end
