// The measuring stick of scripts/bench-edge, not part of the product: a plain
// JavaScript worker that answers the widget's product reads the way the edge
// does, from the same KV records (seeded by the benchmark through PUT /seed),
// with the same headers. Whatever the edge costs beyond this is ours.
const HEADERS = {
  "Content-Type": "application/json",
  "Cache-Control": "public, max-age=15",
  "Access-Control-Allow-Origin": "*",
};

function json(body, status) {
  return new Response(JSON.stringify(body), { status, headers: HEADERS });
}

function today() {
  return new Date().toISOString().slice(0, 10);
}

async function product(env, shop, sku) {
  const text = await env.BACKORDER_KV.get(`v1/shop/${shop}/product/${sku}`);
  if (text === null) return null;
  const stored = JSON.parse(text);
  if (!stored.shown || stored.shown.on !== today()) return null;
  return { sku: stored.sku, availability: stored.shown.availability };
}

// The shop's public side (language, banner), as the edge's batch read adds
// it: a banner past its last day is not shown.
async function front(env, shop) {
  const text = await env.BACKORDER_KV.get(`v1/shop/${shop}/front`);
  if (text === null) return null;
  const stored = JSON.parse(text);
  if (stored.banner && stored.banner.ends_on < today()) stored.banner = null;
  return stored;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const parts = url.pathname.split("/").filter(Boolean);
    if (parts.length === 1 && parts[0] === "health") return new Response("ok");
    if (request.method === "PUT" && parts[0] === "seed") {
      const key = parts.slice(1).map(decodeURIComponent).join("/");
      await env.BACKORDER_KV.put(key, await request.text());
      return new Response(null, { status: 204 });
    }
    if (request.method !== "GET" || parts[0] !== "v1" || parts[1] !== "shops" || parts[3] !== "products") {
      return json({ error: { code: "not_found" } }, 404);
    }
    const shop = parts[2];
    if (parts.length === 5) {
      const found = await product(env, shop, parts[4]);
      return found ? json(found, 200) : json({ error: { code: "unknown_product" } }, 404);
    }
    const skus = [...new Set((url.searchParams.get("skus") || "").split(",").filter(Boolean))];
    if (skus.length < 1 || skus.length > 50) return json({ error: { code: "invalid_input" } }, 400);
    const [found, shopFront] = await Promise.all([
      Promise.all(skus.map((sku) => product(env, shop, sku))),
      front(env, shop),
    ]);
    return json({
      products: found.filter(Boolean),
      unknown: skus.filter((_, index) => !found[index]),
      shop: shopFront,
    }, 200);
  },
};
