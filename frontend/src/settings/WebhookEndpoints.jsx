// The signed-in user's webhook endpoints: their own systems that receive the payment events, signed
// (Standard Webhooks). The signing secret is shown once, when an endpoint is added or its secret rolled.
import { useCallback, useEffect, useRef, useState } from "react";
import Dialog from "../modal/Dialog.jsx";
import EndpointCard from "./EndpointCard.jsx";
import EndpointForm from "./EndpointForm.jsx";
import SecretNotice from "./SecretNotice.jsx";
import { problem } from "./problem.js";

export default function WebhookEndpoints({ service }) {
  const [endpoints, setEndpoints] = useState(null);
  const [error, setError] = useState("");
  const [adding, setAdding] = useState(false);
  const [secret, setSecret] = useState(null); // {url, secret}, until the owner says they copied it
  const [deleting, setDeleting] = useState(null);
  const [rolling, setRolling] = useState(null);
  const [notice, setNotice] = useState(null);
  const heading = useRef(null);

  const reload = useCallback(async () => {
    try {
      setEndpoints(await service.listWebhookEndpoints());
      setError("");
    } catch (err) {
      setError(problem(err));
    }
  }, [service]);

  useEffect(() => {
    reload();
  }, [reload]);

  async function confirmDelete() {
    const endpoint = deleting;
    setDeleting(null);
    try {
      await service.deleteWebhookEndpoint(endpoint.endpoint_id);
      setNotice({ kind: "success", text: `The endpoint ${endpoint.url} was deleted.` });
      await reload();
    } catch (err) {
      setNotice({ kind: "error", text: problem(err) });
    }
  }

  async function confirmRoll() {
    const endpoint = rolling;
    setRolling(null);
    try {
      const answer = await service.rollWebhookSecret(endpoint.endpoint_id);
      setNotice(null);
      setSecret({ url: endpoint.url, secret: answer.secret });
    } catch (err) {
      setNotice({ kind: "error", text: problem(err) });
    }
  }

  const titleId = "webhook-endpoints-title";
  return (
    <section className="stack" aria-labelledby={titleId}>
      <header className="page-head">
        <h2 id={titleId} ref={heading} tabIndex={-1}>Webhook endpoints</h2>
        {!adding && endpoints && <button type="button" className="primary" onClick={() => { setAdding(true); setNotice(null); }}>Add an endpoint</button>}
      </header>
      <p className="muted">Your own systems (accounting, CRM, automations) get each event as a signed HTTPS POST, retried for about three days until they answer 2xx.</p>
      {error && <p className="notice error" role="alert">{error}</p>}
      {notice && <p className={`notice ${notice.kind}`} role={notice.kind === "error" ? "alert" : "status"}>{notice.text}</p>}
      {secret && <SecretNotice secret={secret.secret} endpointUrl={secret.url} onDone={() => {
            // The secret's box goes away: focus stays in this part of the page, not lost to the body.
            setSecret(null);
            heading.current?.focus();
          }} />}
      {adding && (
        <EndpointForm
          service={service}
          onCancel={() => setAdding(false)}
          onSaved={async (saved) => {
            setAdding(false);
            setNotice({ kind: "success", text: `The endpoint ${saved.url} was added.` });
            setSecret({ url: saved.url, secret: saved.secret });
            await reload();
          }}
        />
      )}
      {!endpoints && !error && <p role="status">Loading your webhook endpoints…</p>}
      {endpoints && endpoints.length === 0 && !adding && <p className="card">No endpoint yet. Add one to receive the payment events in your own systems.</p>}
      {endpoints?.map((endpoint) => (
        <EndpointCard key={endpoint.endpoint_id} endpoint={endpoint} service={service} onChanged={reload} onDelete={setDeleting} onRoll={setRolling} />
      ))}
      {deleting && (
        <Dialog title="Delete this endpoint?" onClose={() => setDeleting(null)}>
          <p className="mono">{deleting.url}</p>
          <p>No more events are sent to it, and its delivery log goes with it.</p>
          <div className="actions">
            <button type="button" className="danger" onClick={confirmDelete}>Delete</button>
            <button type="button" onClick={() => setDeleting(null)}>Keep it</button>
          </div>
        </Dialog>
      )}
      {rolling && (
        <Dialog title="Roll the signing secret?" onClose={() => setRolling(null)}>
          <p className="mono">{rolling.url}</p>
          <p>A new secret signs the events from now on. Put it in the system that checks the signatures right after.</p>
          <div className="actions">
            <button type="button" className="primary" onClick={confirmRoll}>Roll secret</button>
            <button type="button" onClick={() => setRolling(null)}>Keep the current one</button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
