// Change a saved gateway configuration: its name, its mode, and any of its credentials.
// Secrets are write-only: their inputs start empty, the saved value is only named in its masked form,
// and a secret left empty is not sent, so the API keeps what it has (PATCH replaces only the
// credentials it is given). Other credentials start with their saved value and are sent when changed.
import { useId, useState } from "react";
import Field, { describedBy } from "./Field.jsx";

function secretHelp(saved, specHelp) {
  const keep = saved ? `Saved as ${saved}. Leave empty to keep it, or type a new one to replace it.` : "Nothing saved yet.";
  return specHelp ? `${keep} ${specHelp}` : keep;
}

// Only what differs from the saved config; an empty object when nothing changed.
export function configChanges(config, fields, { displayName, testMode, values }) {
  const changes = {};
  if (displayName.trim() !== config.display_name) changes.display_name = displayName.trim();
  if (testMode !== config.test_mode) changes.test_mode = testMode;
  const credentials = {};
  for (const spec of fields) {
    const value = (values[spec.name] ?? "").trim();
    const saved = config.credentials[spec.name] ?? "";
    if (spec.secret ? value !== "" : value !== saved) credentials[spec.name] = value;
  }
  if (Object.keys(credentials).length > 0) changes.credentials = credentials;
  return changes;
}

export default function ConfigEditForm({ config, type, service, onSaved, onCancel }) {
  const uid = useId();
  const fields = type?.credential_fields ?? [];
  const [displayName, setDisplayName] = useState(config.display_name);
  const [testMode, setTestMode] = useState(config.test_mode);
  const [values, setValues] = useState(() =>
    Object.fromEntries(fields.filter((f) => !f.secret).map((f) => [f.name, config.credentials[f.name] ?? ""])),
  );
  const [errors, setErrors] = useState({});
  const [message, setMessage] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event) {
    event.preventDefault();
    const changes = configChanges(config, fields, { displayName, testMode, values });
    if (Object.keys(changes).length === 0) {
      onSaved(null, changes);
      return;
    }
    setBusy(true);
    setErrors({});
    setMessage("");
    try {
      const saved = await service.updateGatewayConfig(config.id, changes);
      onSaved(saved, changes);
    } catch (err) {
      setErrors(err.fields ?? {});
      setMessage(err.message);
      setBusy(false);
    }
  }

  const nameId = `${uid}-name`;
  return (
    <form className="config-form" onSubmit={submit} noValidate aria-labelledby={`${uid}-title`}>
      <h4 id={`${uid}-title`}>Edit {config.display_name}</h4>
      <Field id={nameId} labelText="Name shown to you and your clients" error={errors.display_name}>
        <input
          id={nameId}
          value={displayName}
          autoFocus
          onChange={(e) => setDisplayName(e.target.value)}
          aria-invalid={errors.display_name ? "true" : undefined}
          aria-describedby={describedBy(nameId, { error: errors.display_name })}
        />
      </Field>
      {fields.map((spec) => {
        const id = `${uid}-cred-${spec.name}`;
        const help = spec.secret ? secretHelp(config.credentials[spec.name], spec.help_text) : spec.help_text;
        const error = errors[spec.name];
        return (
          <Field key={spec.name} id={id} labelText={`${spec.label}${spec.required || spec.secret ? "" : " (optional)"}`} error={error} help={help}>
            <input
              id={id}
              name={spec.name}
              type={spec.secret ? "password" : "text"}
              autoComplete={spec.secret ? "new-password" : "off"}
              spellCheck="false"
              value={values[spec.name] ?? ""}
              onChange={(e) => setValues({ ...values, [spec.name]: e.target.value })}
              aria-invalid={error ? "true" : undefined}
              aria-describedby={describedBy(id, { help, error })}
            />
          </Field>
        );
      })}
      <label className="choice">
        <input type="checkbox" checked={testMode} onChange={(e) => setTestMode(e.target.checked)} /> Test mode (no real money)
      </label>
      {errors.test_mode && <p className="field-error">{errors.test_mode}</p>}
      {message && <p className="notice error" role="alert">{message}</p>}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>{busy ? "Saving…" : "Save changes"}</button>
        <button type="button" onClick={onCancel} disabled={busy}>Cancel</button>
      </div>
    </form>
  );
}
