// A new webhook endpoint: its URL, a description for the owner, the events it receives, enabled or not.
import { useId, useState } from "react";
import Field, { describedBy } from "./Field.jsx";
import { WEBHOOK_EVENT } from "../lib/labels.js";
import { problem } from "./problem.js";

export default function EndpointForm({ service, onSaved, onCancel }) {
  const uid = useId();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [eventTypes, setEventTypes] = useState(Object.keys(WEBHOOK_EVENT));
  const [enabled, setEnabled] = useState(true);
  const [errors, setErrors] = useState({});
  const [message, setMessage] = useState("");
  const [busy, setBusy] = useState(false);

  function toggle(type, on) {
    // Kept in the API's order, whatever order they are ticked in.
    const next = new Set(eventTypes);
    if (on) next.add(type);
    else next.delete(type);
    setEventTypes(Object.keys(WEBHOOK_EVENT).filter((t) => next.has(t)));
  }

  async function submit(event) {
    event.preventDefault();
    if (eventTypes.length === 0) {
      setErrors({ event_types: "Choose at least one event." });
      setMessage("");
      return;
    }
    setBusy(true);
    setErrors({});
    setMessage("");
    try {
      onSaved(await service.createWebhookEndpoint({ url: url.trim(), description: description.trim(), eventTypes, enabled }));
    } catch (err) {
      setErrors(err.fields ?? {});
      setMessage(problem(err));
      setBusy(false);
    }
  }

  const eventsError = errors.event_types;
  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby={`${uid}-title`}>
      <h3 id={`${uid}-title`}>Add an endpoint</h3>
      <Field id={`${uid}-url`} labelText="URL" error={errors.url} help="Where the events are posted, e.g. https://example.com/webhooks/trackify.">
        <input
          id={`${uid}-url`}
          type="url"
          inputMode="url"
          autoComplete="off"
          spellCheck="false"
          required
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          aria-invalid={errors.url ? "true" : undefined}
          aria-describedby={describedBy(`${uid}-url`, { help: true, error: errors.url })}
        />
      </Field>
      <Field id={`${uid}-description`} labelText="Description (optional)" error={errors.description}>
        <input
          id={`${uid}-description`}
          value={description}
          maxLength={200}
          onChange={(e) => setDescription(e.target.value)}
          aria-invalid={errors.description ? "true" : undefined}
          aria-describedby={describedBy(`${uid}-description`, { error: errors.description })}
        />
      </Field>
      <fieldset className="choices" aria-describedby={eventsError ? `${uid}-events-error` : undefined}>
        <legend>Events to send</legend>
        <div className="event-grid">
          {Object.entries(WEBHOOK_EVENT).map(([type, words]) => (
            <label key={type} className="choice">
              <input type="checkbox" checked={eventTypes.includes(type)} onChange={(e) => toggle(type, e.target.checked)} />
              <span>{words} <span className="mono muted">{type}</span></span>
            </label>
          ))}
        </div>
        {eventsError && <p className="field-error" id={`${uid}-events-error`}>{eventsError}</p>}
      </fieldset>
      <label className="choice">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled (send events to it now)
      </label>
      {message && <p className="notice error" role="alert">{message}</p>}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>{busy ? "Saving…" : "Save endpoint"}</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
