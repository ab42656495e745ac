// The one API client of the server-rendered pages: JSON in, JSON out, errors as Error(message).
window.TrackifyApi = (function () {
  function csrfToken() {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  async function request(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error((data.error && data.error.message) || `Request failed (${response.status}).`);
    }
    return data;
  }
  return { get: (url) => request("GET", url), post: (url, body) => request("POST", url, body) };
})();
