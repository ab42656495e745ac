// One webhook endpoint and what its owner can do with it: enable or disable it, send it a test
// event, roll its secret, delete it, and read its delivery log.
import { useState } from "react";
import DeliveryLog from "./DeliveryLog.jsx";
import { WEBHOOK_EVENT, label } from "../lib/labels.js";
import { formatTime } from "../payments/timeline.js";
import { problem } from "./problem.js";

// In the order the add form lists them; an empty list means every event.
function eventsOf(endpoint) {
  if (endpoint.event_types.length === 0) return "All events";
  const known = Object.keys(WEBHOOK_EVENT);
  const rank = (t) => (known.includes(t) ? known.indexOf(t) : known.length);
  return [...endpoint.event_types].sort((a, b) => rank(a) - rank(b)).map((t) => label(WEBHOOK_EVENT, t)).join(", ");
}

export default function EndpointCard({ endpoint, service, onChanged, onDelete, onRoll }) {
  const [note, setNote] = useState(null);
  const [busy, setBusy] = useState(false);
  const [showLog, setShowLog] = useState(false);
  const [refreshKey, setRefreshKey] = useState(0);

  async function act(run, success) {
    setBusy(true);
    setNote(null);
    try {
      await run();
      setNote({ kind: "success", text: success });
      await onChanged();
    } catch (err) {
      setNote({ kind: "error", text: problem(err) });
    } finally {
      setBusy(false);
    }
  }

  async function sendTest() {
    setBusy(true);
    setNote(null);
    try {
      await service.sendWebhookTestEvent(endpoint.endpoint_id);
      setNote({ kind: "success", text: "A test event was sent. Its delivery is in the log below." });
      setShowLog(true);
      setRefreshKey((k) => k + 1);
    } catch (err) {
      setNote({ kind: "error", text: problem(err) });
    } finally {
      setBusy(false);
    }
  }

  const titleId = `endpoint-${endpoint.endpoint_id}`;
  const logId = `${titleId}-log`;
  return (
    <article className="card endpoint" aria-labelledby={titleId}>
      <header className="config-head">
        <h3 id={titleId} className="mono">{endpoint.url}</h3>
        <div className="badges">
          <span className={`badge ${endpoint.enabled ? "badge-open" : "badge-void"}`}>{endpoint.enabled ? "Enabled" : "Disabled"}</span>
        </div>
      </header>
      {endpoint.description && <p>{endpoint.description}</p>}
      {!endpoint.enabled && endpoint.disabled_reason && (
        <p className="notice warn">Disabled: {endpoint.disabled_reason}</p>
      )}
      <dl className="facts">
        <div><dt>Events</dt><dd>{eventsOf(endpoint)}</dd></div>
        <div><dt>Added</dt><dd>{formatTime(endpoint.created_at)}</dd></div>
      </dl>
      {note && <p className={`notice ${note.kind}`} role={note.kind === "error" ? "alert" : "status"}>{note.text}</p>}
      <div className="actions">
        <button type="button" disabled={busy} onClick={sendTest}>Send a test event</button>
        <button
          type="button"
          disabled={busy}
          onClick={() => act(() => service.updateWebhookEndpoint(endpoint.endpoint_id, { enabled: !endpoint.enabled }), endpoint.enabled ? "Disabled: no events are sent to it." : "Enabled: events are sent to it again.")}
        >
          {endpoint.enabled ? "Disable" : "Enable"}
        </button>
        <button type="button" disabled={busy} onClick={() => onRoll(endpoint)}>Roll secret</button>
        <button type="button" className="danger" disabled={busy} onClick={() => onDelete(endpoint)}>Delete</button>
        <button type="button" aria-expanded={showLog} aria-controls={logId} onClick={() => setShowLog(!showLog)}>
          {showLog ? "Hide deliveries" : "Show deliveries"}
        </button>
      </div>
      <div id={logId} hidden={!showLog}>
        {showLog && <DeliveryLog endpoint={endpoint} service={service} refreshKey={refreshKey} />}
      </div>
    </article>
  );
}
