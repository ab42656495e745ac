// One webhook endpoint's deliveries, newest first: their status, attempts and what the endpoint
// answered to each; a delivery can be sent again.
import { useCallback, useEffect, useState } from "react";
import { DELIVERY_STATUS, TEST_EVENT, WEBHOOK_EVENT, label } from "../lib/labels.js";

const EVENT_WORDS = { ...WEBHOOK_EVENT, ...TEST_EVENT };
import { formatTime } from "../payments/timeline.js";
import { problem } from "./problem.js";

const PAGE_SIZE = 20; // the API's page size, as for the payments

function Attempt({ attempt }) {
  const answer = attempt.status_code ? `HTTP ${attempt.status_code}` : "No answer";
  return (
    <li>
      <span className="attempt-head">
        <span>{formatTime(attempt.attempted_at)}</span>
        <span className={attempt.status_code >= 200 && attempt.status_code < 300 ? "ok" : "bad"}>{answer}</span>
        {attempt.duration_ms !== null && attempt.duration_ms !== undefined && <span className="muted">{attempt.duration_ms} ms</span>}
      </span>
      {attempt.error && attempt.error !== answer && <span className="field-error">{attempt.error}</span>}
      {attempt.response_excerpt && <code className="excerpt" aria-label="First bytes of the answer">{attempt.response_excerpt}</code>}
    </li>
  );
}

export default function DeliveryLog({ endpoint, service, refreshKey = 0 }) {
  const [page, setPage] = useState(1);
  const [data, setData] = useState(null);
  const [error, setError] = useState("");
  const [note, setNote] = useState(null);
  const [busy, setBusy] = useState(null);

  const reload = useCallback(async () => {
    try {
      setData(await service.listWebhookDeliveries(endpoint.endpoint_id, { page }));
      setError("");
    } catch (err) {
      setError(problem(err));
    }
  }, [service, endpoint.endpoint_id, page]);

  useEffect(() => {
    reload();
  }, [reload, refreshKey]);

  async function sendAgain(delivery) {
    setBusy(delivery.delivery_id);
    setNote(null);
    try {
      const answer = await service.sendWebhookDeliveryAgain(endpoint.endpoint_id, delivery.delivery_id);
      const status = answer?.status ? ` Status: ${label(DELIVERY_STATUS, answer.status).toLowerCase()}.` : "";
      setNote({ kind: "success", text: `The ${delivery.event_type} event was sent again.${status}` });
      await reload();
    } catch (err) {
      setNote({ kind: "error", text: problem(err) });
    } finally {
      setBusy(null);
    }
  }

  const titleId = `deliveries-${endpoint.endpoint_id}`;
  const pages = data ? Math.max(Math.ceil(data.count / PAGE_SIZE), 1) : 1;
  return (
    <section className="deliveries" aria-labelledby={titleId}>
      <div className="page-head">
        <h4 id={titleId}>Deliveries</h4>
        <button type="button" onClick={reload} aria-label={`Refresh the deliveries of ${endpoint.url}`}>Refresh</button>
      </div>
      {error && <p className="notice error" role="alert">{error}</p>}
      {note && <p className={`notice ${note.kind}`} role={note.kind === "error" ? "alert" : "status"}>{note.text}</p>}
      {!data && !error && <p role="status">Loading the deliveries…</p>}
      {data && data.count === 0 && <p className="muted">Nothing sent yet. Send a test event to try the endpoint.</p>}
      {data && data.count > 0 && (
        <ul className="delivery-list" aria-label={`Deliveries to ${endpoint.url}`}>
          {data.results.map((d) => (
            <li key={d.delivery_id} className="delivery">
              <div className="delivery-head">
                <strong>{label(EVENT_WORDS, d.event_type)}</strong>
                <span className="mono muted">{d.event_type}</span>
                <span className={`badge badge-delivery-${d.status}`}>{label(DELIVERY_STATUS, d.status)}</span>
              </div>
              <dl className="facts">
                <div><dt>Created</dt><dd>{formatTime(d.created_at)}</dd></div>
                <div><dt>Attempts</dt><dd>{d.attempts}</dd></div>
                {d.status === "sent" && <div><dt>Sent</dt><dd>{formatTime(d.sent_at)}</dd></div>}
                {d.status === "pending" && <div><dt>Next attempt</dt><dd>{d.next_attempt_at ? formatTime(d.next_attempt_at) : "—"}</dd></div>}
              </dl>
              {d.last_error && <p className="field-error">Last error: {d.last_error}</p>}
              {d.attempts_log?.length > 0 && (
                <ol className="attempts" aria-label="Attempts" reversed>
                  {[...d.attempts_log].reverse().map((a, i) => <Attempt key={`${a.attempted_at}-${i}`} attempt={a} />)}
                </ol>
              )}
              <div className="actions">
                <button
                  type="button"
                  disabled={busy === d.delivery_id}
                  onClick={() => sendAgain(d)}
                  aria-label={`Send again: ${d.event_type} of ${formatTime(d.created_at)}`}
                >
                  {busy === d.delivery_id ? "Sending…" : "Send again"}
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      {data && pages > 1 && (
        <nav className="actions" aria-label={`Pages of deliveries to ${endpoint.url}`}>
          <button type="button" disabled={!data.previous} onClick={() => setPage(page - 1)}>Newer</button>
          <span>Page {page} of {pages}</span>
          <button type="button" disabled={!data.next} onClick={() => setPage(page + 1)}>Older</button>
        </nav>
      )}
    </section>
  );
}
