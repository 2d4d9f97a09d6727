-- wrk script for scripts/soak: a mix of catalog lookups and POST /classify, round robin, with
-- every non-2xx answer counted (wrk's own count lets 3xx through) and a one-line summary.
--
--   wrk ... -s scripts/soak.lua http://127.0.0.1:PORT

local helm_manifest = [[{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"sha256:8fd6bc6a8e4b8d6e6b2b4f9a0f1e3c3cd1b7d2a5a3e0f9d8c7b6a5f4e3d2c1b0","size":117},"layers":[{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","digest":"sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0","size":3500}]}]]
local signature_manifest = [[{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","digest":"sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0","size":3500}],"annotations":{"dev.sigstore.bundle.predicateType":"https://sigstore.dev/cosign/sign/v1"}}]]

local json = { ["Content-Type"] = "application/json" }
local gzip = { ["Accept-Encoding"] = "gzip" }
local templates = {
  { "GET", "/types/cncf/helm-chart", nil, nil },
  { "GET", "/types/application/vnd.cncf.helm.config.v1+json", nil, nil },
  { "GET", "/index.json", gzip, nil },
  { "GET", "/media-types/application/vnd.oci.image.config.v1+json", nil, nil },
  { "GET", "/types?q=sig", nil, nil },
  { "GET", "/types/cncf/helm-chart/versions", nil, nil },
  { "POST", "/classify?registry=r.example&repository=charts/demo&tag=1.0.0", json, helm_manifest },
  { "POST", "/classify", json, signature_manifest },
}

local requests = {}
local position = 0
local threads = {}
local started = 0
non2xx = 0
first_bad = ""

function setup(thread)
  started = started + 1
  thread:set("offset", started * 3)
  table.insert(threads, thread)
end

function init(args)
  for i, t in ipairs(templates) do
    requests[i] = wrk.format(t[1], t[2], t[3], t[4])
  end
  position = offset or 0
end

function request()
  position = position % #requests + 1
  return requests[position]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad == "" then
      first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 200)
    end
  end
end

function done(summary, latency, _)
  local bad = 0
  local sample = ""
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
    local first = thread:get("first_bad") or ""
    if sample == "" then sample = first end
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "SOAK requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    bad, e.connect, e.read, e.write, e.timeout))
  if sample ~= "" then
    io.write("SOAK first non-2xx answer: " .. sample .. "\n")
  end
end
