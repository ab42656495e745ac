// A webhook endpoint's signing secret, which the API gives once (when the endpoint is made and when
// its secret is rolled): shown here with a copy button until the owner says they have it.
import { useEffect, useId, useRef, useState } from "react";

export default function SecretNotice({ secret, endpointUrl, onDone }) {
  const uid = useId();
  const [copied, setCopied] = useState(null);
  const box = useRef(null);

  useEffect(() => {
    // The secret is what matters now: focus goes to it, and a screen reader reads the warning with it.
    box.current?.focus();
  }, [secret]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied({ kind: "success", text: "Signing secret copied." });
    } catch {
      setCopied({ kind: "error", text: "Copying is not allowed here: select the secret and copy it." });
    }
  }

  return (
    <section className="notice warn secret" aria-labelledby={`${uid}-title`}>
      <h3 id={`${uid}-title`}>Signing secret for {endpointUrl}</h3>
      <p id={`${uid}-warning`}><strong>It is shown only now.</strong> Copy it into the system that receives the webhooks: it checks each webhook's signature with it. You cannot see it again; you can roll a new one.</p>
      <div className="field">
        <label htmlFor={`${uid}-secret`}>Signing secret</label>
        <div className="copy-row">
          <input id={`${uid}-secret`} ref={box} className="mono" readOnly value={secret} aria-describedby={`${uid}-warning`} onFocus={(e) => e.target.select()} />
          <button type="button" onClick={copy} aria-label="Copy the signing secret">Copy</button>
        </div>
      </div>
      {copied && <p className={`notice ${copied.kind}`} role={copied.kind === "error" ? "alert" : "status"}>{copied.text}</p>}
      <div className="actions">
        <button type="button" onClick={onDone}>I have copied it</button>
      </div>
    </section>
  );
}
