-- a new profile each request drawn at random from the whole taxonomy: phase,
-- 1-3 sectors of 16, 1-4 needs of 21 (or none), activity, four yes/no
-- situations, language: few profiles repeat what an earlier one's offers read
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local phases = { "idea", "prestart", "start", "restart", "growth" }
local sectors = { "biotech", "pharma-medtech", "healthtech", "cleantech", "chemistry", "agrofood",
  "photonics", "digital", "manufacturing", "construction", "logistics", "creative", "retail",
  "hospitality", "services", "social-economy" }
local needs = { "administration", "legal", "legal-ip", "financing", "financing-loan",
  "financing-guarantee", "financing-grant", "financing-equity", "location", "location-office",
  "location-shop", "location-workshop", "location-lab", "coaching", "coaching-business-plan",
  "coaching-mentoring", "networking", "talent", "research-valorisation", "internationalisation",
  "soft-landing" }
local acts = { "shop", "hospitality", "services", "freelance", "manufacturing", "tech-product",
  "social-enterprise" }
local function some(t, lo, hi)
  local n, seen, out = math.random(lo, hi), {}, {}
  while #out < n do local v = t[math.random(#t)]
    if not seen[v] then seen[v] = true; out[#out + 1] = '"' .. v .. '"' end end
  return table.concat(out, ", ")
end
local function yn() return math.random(2) == 1 and "true" or "false" end
local threads = 0
function setup(t) threads = threads + 1; t:set("seed", os.time() + threads * 7919) end
function init(args) math.randomseed(seed) end
local n = 0
function request() n = n + 1
  local nd = math.random(5) == 1 and "" or string.format('"needs": [%s], ', some(needs, 1, 4))
  local body = string.format('{"phase": "%s", "sectors": [%s], %s"activity": "%s", "student": %s, "international": %s, "side_activity": %s, "jobseeker": %s, "area": "gent", "company_age": %d, "lang": "%s", "employees": %d}',
    phases[math.random(#phases)], some(sectors, 1, 3), nd, acts[math.random(#acts)], yn(), yn(), yn(), yn(),
    math.random(0, 5), math.random(2) == 1 and "nl" or "en", n)
  return wrk.format(nil, nil, nil, body) end
