// One saved gateway configuration and what its owner can do with it.
import { useEffect, useRef, useState } from "react";
import { FLOW, label } from "../lib/labels.js";
import ConfigEditForm from "./ConfigEditForm.jsx";

export default function ConfigCard({ config, type, service, onChanged, onDelete }) {
  const [note, setNote] = useState(null);
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState(false);
  const editButton = useRef(null);
  const wasEditing = useRef(false);

  useEffect(() => {
    // Closing the edit form puts focus back on "Edit", where the keyboard user left it.
    if (wasEditing.current && !editing) editButton.current?.focus();
    wasEditing.current = editing;
  }, [editing]);

  async function act(run, success) {
    setBusy(true);
    setNote(null);
    try {
      const result = await run();
      setNote({ kind: "success", text: typeof success === "function" ? success(result) : success });
      await onChanged();
    } catch (err) {
      setNote({ kind: "error", text: err.message });
    } finally {
      setBusy(false);
    }
  }

  async function copy() {
    try {
      await navigator.clipboard.writeText(config.webhook_url);
      setNote({ kind: "success", text: "Webhook URL copied." });
    } catch {
      setNote({ kind: "error", text: "Copying is not allowed here: select the address and copy it." });
    }
  }

  const titleId = `config-${config.id}`;
  const flows = type?.capabilities.flows ?? [config.flow];
  const labelOf = (name) => type?.credential_fields.find((f) => f.name === name)?.label ?? name.replaceAll("_", " ");

  async function edited(saved, changes) {
    setEditing(false);
    if (!saved) {
      setNote({ kind: "success", text: "Nothing changed." });
      return;
    }
    const replaced = Object.keys(changes.credentials ?? {}).map(labelOf);
    setNote({ kind: "success", text: replaced.length ? `Saved. Replaced: ${replaced.join(", ")}.` : "Saved." });
    await onChanged();
  }

  const head = (
    <header className="config-head">
      <h3 id={titleId}>{config.display_name}</h3>
      <div className="badges">
        {config.is_default && <span className="badge badge-paid">Default</span>}
        <span className={`badge ${config.is_active ? "badge-open" : "badge-void"}`}>{config.is_active ? "Enabled" : "Disabled"}</span>
        <span className="badge">{config.test_mode ? "Test mode" : "Live"}</span>
      </div>
    </header>
  );
  if (editing) {
    return (
      <article className="card config" aria-labelledby={titleId}>
        {head}
        <ConfigEditForm config={config} type={type} service={service} onSaved={edited} onCancel={() => setEditing(false)} />
      </article>
    );
  }
  return (
    <article className="card config" aria-labelledby={titleId}>
      {head}
      <dl className="facts">
        <div><dt>Gateway</dt><dd>{type?.display_name ?? config.gateway_name}</dd></div>
        {flows.length < 2 && <div><dt>Flow</dt><dd>{label(FLOW, config.flow)}</dd></div>}
        {Object.entries(config.credentials).map(([name, value]) => (
          <div key={name}><dt>{labelOf(name)}</dt><dd className="mono clip" title={value}>{value || "—"}</dd></div>
        ))}
      </dl>
      {flows.length > 1 && (
        <div className="field">
          <label htmlFor={`${titleId}-flow`}>How clients pay</label>
          <select
            id={`${titleId}-flow`}
            value={config.flow}
            disabled={busy}
            onChange={(e) => {
              const flow = e.target.value;
              act(() => service.updateGatewayConfig(config.id, { flow }), `Clients now pay: ${label(FLOW, flow).toLowerCase()}.`);
            }}
          >
            {flows.map((f) => <option key={f} value={f}>{label(FLOW, f)}</option>)}
          </select>
        </div>
      )}
      <div className="field">
        <label htmlFor={`${titleId}-webhook`}>Webhook URL</label>
        <div className="copy-row">
          <input id={`${titleId}-webhook`} className="mono" readOnly value={config.webhook_url} onFocus={(e) => e.target.select()} />
          <button type="button" onClick={copy} aria-label={`Copy the webhook URL of ${config.display_name}`}>Copy</button>
        </div>
      </div>
      {note && <p className={`notice ${note.kind}`} role={note.kind === "error" ? "alert" : "status"}>{note.text}</p>}
      <div className="actions">
        {!config.is_default && config.is_active && (
          <button type="button" disabled={busy} onClick={() => act(() => service.setDefaultGatewayConfig(config.id), "This is now your default gateway.")}>
            Make default
          </button>
        )}
        <button type="button" disabled={busy} onClick={() => act(() => service.updateGatewayConfig(config.id, { is_active: !config.is_active }), config.is_active ? "Disabled." : "Enabled.")}>
          {config.is_active ? "Disable" : "Enable"}
        </button>
        <button type="button" ref={editButton} disabled={busy} onClick={() => { setNote(null); setEditing(true); }}>
          Edit
        </button>
        <button type="button" disabled={busy} onClick={() => act(() => service.testGatewayConnection(config.id), (r) => r.message || "The connection works.")}>
          Test connection
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => onDelete(config)}>Delete</button>
      </div>
    </article>
  );
}
