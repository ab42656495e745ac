// A new gateway configuration, with one field per credential the gateway type declares.
// Secret fields are password inputs; what is saved comes back masked and is never shown again.
import { useId, useState } from "react";
import { FLOW, label } from "../lib/labels.js";
import Field, { describedBy } from "./Field.jsx";

export default function ConfigForm({ types, service, onSaved, onCancel }) {
  const uid = useId();
  const [gatewayName, setGatewayName] = useState(types[0]?.name ?? "");
  const type = types.find((t) => t.name === gatewayName);
  const [values, setValues] = useState({});
  const [displayName, setDisplayName] = useState("");
  const [flow, setFlow] = useState("redirect");
  const [testMode, setTestMode] = useState(true);
  const [isDefault, setIsDefault] = useState(false);
  const [errors, setErrors] = useState({});
  const [message, setMessage] = useState("");
  const [busy, setBusy] = useState(false);
  const flows = type?.capabilities.flows ?? ["redirect"];

  function chooseType(name) {
    setGatewayName(name);
    setValues({});
    setErrors({});
    const next = types.find((t) => t.name === name);
    if (next && !next.capabilities.flows.includes(flow)) setFlow(next.capabilities.flows[0]);
  }

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setMessage("");
    const credentials = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ""));
    try {
      const saved = await service.createGatewayConfig({
        gateway_name: gatewayName,
        display_name: displayName,
        credentials,
        flow,
        test_mode: testMode,
        is_default: isDefault,
      });
      onSaved(saved);
    } catch (err) {
      setErrors(err.fields ?? {});
      setMessage(err.message);
      setBusy(false);
    }
  }

  const describe = (id, name, help) => describedBy(id, { help, error: errors[name] });

  return (
    <form className="card config-form" onSubmit={submit} noValidate aria-labelledby={`${uid}-title`}>
      <h2 id={`${uid}-title`}>Add a gateway</h2>
      <Field id={`${uid}-type`} labelText="Gateway" error={errors.gateway_name}>
        <select id={`${uid}-type`} value={gatewayName} onChange={(e) => chooseType(e.target.value)}>
          {types.map((t) => <option key={t.name} value={t.name}>{t.display_name}</option>)}
        </select>
      </Field>
      <Field id={`${uid}-name`} labelText="Name shown to you and your clients" error={errors.display_name} help="Optional. The gateway's name is used when empty.">
        <input id={`${uid}-name`} value={displayName} onChange={(e) => setDisplayName(e.target.value)} aria-describedby={describe(`${uid}-name`, "display_name", true)} />
      </Field>
      {type?.credential_fields.map((spec) => {
        const id = `${uid}-cred-${spec.name}`;
        return (
          <Field key={spec.name} id={id} labelText={`${spec.label}${spec.required ? "" : " (optional)"}`} error={errors[spec.name]} help={spec.help_text}>
            <input
              id={id}
              name={spec.name}
              type={spec.secret ? "password" : "text"}
              autoComplete="off"
              spellCheck="false"
              required={spec.required}
              value={values[spec.name] ?? ""}
              onChange={(e) => setValues({ ...values, [spec.name]: e.target.value })}
              aria-invalid={errors[spec.name] ? "true" : undefined}
              aria-describedby={describe(id, spec.name, spec.help_text)}
            />
          </Field>
        );
      })}
      {flows.length > 1 && (
        <fieldset className="choices">
          <legend>How your clients pay</legend>
          {flows.map((f) => (
            <label key={f} className="choice">
              <input type="radio" name={`${uid}-flow`} value={f} checked={flow === f} onChange={() => setFlow(f)} />
              {label(FLOW, f)}
            </label>
          ))}
          {errors.flow && <p className="field-error">{errors.flow}</p>}
        </fieldset>
      )}
      <label className="choice">
        <input type="checkbox" checked={testMode} onChange={(e) => setTestMode(e.target.checked)} /> Test mode (no real money)
      </label>
      {errors.test_mode && <p className="field-error">{errors.test_mode}</p>}
      <label className="choice">
        <input type="checkbox" checked={isDefault} onChange={(e) => setIsDefault(e.target.checked)} /> Make it my default gateway
      </label>
      {message && <p className="notice error" role="alert">{message}</p>}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>{busy ? "Saving…" : "Save gateway"}</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
