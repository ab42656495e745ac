// Which e-mails go out, to the client and to the owner, and the address replies go to.
import { useEffect, useState } from "react";
import Field, { describedBy } from "./Field.jsx";
import { CLIENT_NOTIFICATIONS, OWNER_NOTIFICATIONS, label } from "../lib/labels.js";
import { problem } from "./problem.js";

// The API's kinds by whom they go to; a kind this page has no words for yet is still shown.
function groups(kinds) {
  const names = Object.keys(kinds);
  const client = names.filter((k) => k.startsWith("client_"));
  const owner = names.filter((k) => !k.startsWith("client_"));
  const order = (map) => (a, b) => (Object.keys(map).indexOf(a) + 1 || 99) - (Object.keys(map).indexOf(b) + 1 || 99);
  return [
    { id: "client", title: "To your client", words: CLIENT_NOTIFICATIONS, kinds: client.sort(order(CLIENT_NOTIFICATIONS)) },
    { id: "owner", title: "To you", words: OWNER_NOTIFICATIONS, kinds: owner.sort(order(OWNER_NOTIFICATIONS)) },
  ];
}

export default function NotificationSettings({ service }) {
  const [saved, setSaved] = useState(null);
  const [kinds, setKinds] = useState({});
  const [replyTo, setReplyTo] = useState("");
  const [loadError, setLoadError] = useState("");
  const [fieldError, setFieldError] = useState("");
  const [note, setNote] = useState(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    service.getNotificationSettings().then(
      (answer) => {
        if (!live) return;
        setSaved(answer);
        setKinds(answer.kinds);
        setReplyTo(answer.reply_to);
      },
      (err) => live && setLoadError(problem(err)),
    );
    return () => {
      live = false;
    };
  }, [service]);

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setNote(null);
    setFieldError("");
    try {
      const answer = await service.updateNotificationSettings({ reply_to: replyTo.trim(), kinds });
      setSaved(answer);
      setKinds(answer.kinds);
      setReplyTo(answer.reply_to);
      setNote({ kind: "success", text: "Your notification settings were saved." });
    } catch (err) {
      setFieldError(err.fields?.reply_to ?? "");
      setNote({ kind: "error", text: err.fields?.reply_to ? "Not saved: check the reply-to address." : problem(err) });
    } finally {
      setBusy(false);
    }
  }

  const titleId = "notification-settings-title";
  let body;
  if (loadError) body = <p className="notice error" role="alert">{loadError}</p>;
  else if (!saved) body = <p role="status">Loading your notification settings…</p>;
  else {
    body = (
      <form onSubmit={submit} noValidate>
        {groups(kinds).map((group) => (
          <fieldset key={group.id} className="choices">
            <legend>{group.title}</legend>
            {group.kinds.length === 0 && <p className="muted">None.</p>}
            {group.kinds.map((kind) => (
              <label key={kind} className="choice">
                <input type="checkbox" checked={kinds[kind]} onChange={(e) => setKinds({ ...kinds, [kind]: e.target.checked })} />
                {label(group.words, kind)}
              </label>
            ))}
          </fieldset>
        ))}
        <Field id="reply-to" labelText="Reply-to address (optional)" error={fieldError} help="Your clients' replies to these e-mails come here. Leave it empty to use the site's sender address.">
          <input
            id="reply-to"
            type="email"
            autoComplete="email"
            value={replyTo}
            onChange={(e) => setReplyTo(e.target.value)}
            aria-invalid={fieldError ? "true" : undefined}
            aria-describedby={describedBy("reply-to", { help: true, error: fieldError })}
          />
        </Field>
        {note && <p className={`notice ${note.kind}`} role={note.kind === "error" ? "alert" : "status"}>{note.text}</p>}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>{busy ? "Saving…" : "Save notification settings"}</button>
        </div>
      </form>
    );
  }
  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>E-mails</h2>
      <p className="muted">Choose which e-mails are sent when your clients pay, are refunded or dispute a payment.</p>
      {body}
    </section>
  );
}
