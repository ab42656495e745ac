// One labelled form field with its help text and its error, both tied to the control by the caller
// through describedBy().

export function describedBy(id, { help, error }) {
  return [help ? `${id}-help` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
}

export default function Field({ id, labelText, error, help, children }) {
  return (
    <div className="field">
      <label htmlFor={id}>{labelText}</label>
      {children}
      {help && <p className="help" id={`${id}-help`}>{help}</p>}
      {error && <p className="field-error" id={`${id}-error`}>{error}</p>}
    </div>
  );
}
