// A write to the JSON API from a signed-in page: the session's CSRF token goes with it, and a
// refusal comes back as an Error carrying the server's message. Pages load this module with
// their own version query (`import(`./api.js${new URL(import.meta.url).search}`)`), so it is
// cached exactly as long as they are.
const csrf = document.querySelector('meta[name=csrf-token]')?.content;

export async function send(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => null);
  if (!response.ok) throw new Error(answer?.error?.message || `failed (${response.status})`);
  return answer;
}
