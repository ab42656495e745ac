// E-mails that could not be sent after every attempt (the mail server down for hours, a mailbox
// refused): shown to the owner, so that a receipt that never arrived is seen, and sent again.
import { useCallback, useEffect, useState } from "react";
import { CLIENT_NOTIFICATIONS, OWNER_NOTIFICATIONS, label } from "../lib/labels.js";
import { formatTime } from "../payments/timeline.js";
import { problem } from "./problem.js";

const KIND_WORDS = { ...CLIENT_NOTIFICATIONS, ...OWNER_NOTIFICATIONS };

export default function FailedEmails({ service }) {
  const [data, setData] = useState(null);
  const [error, setError] = useState("");
  const [note, setNote] = useState(null);
  const [busy, setBusy] = useState(null);

  const reload = useCallback(async () => {
    try {
      setData(await service.listEmails({ status: "failed" }));
      setError("");
    } catch (err) {
      setError(problem(err));
    }
  }, [service]);

  useEffect(() => {
    reload();
  }, [reload]);

  async function sendAgain(email) {
    setBusy(email.delivery_id);
    setNote(null);
    try {
      const answer = await service.sendEmailAgain(email.delivery_id);
      const sent = answer?.status === "sent";
      setNote({
        kind: sent ? "success" : "error",
        text: sent ? `Sent again to ${email.to}.` : `Not sent yet: ${answer?.last_error || "it will be tried again."}`,
      });
      await reload();
    } catch (err) {
      setNote({ kind: "error", text: problem(err) });
    } finally {
      setBusy(null);
    }
  }

  if (data && data.count === 0 && !note) return null; // nothing failed: nothing to say
  const titleId = "failed-emails-title";
  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>E-mails that could not be sent</h2>
      {error && <p className="notice error" role="alert">{error}</p>}
      {note && <p className={`notice ${note.kind}`} role={note.kind === "error" ? "alert" : "status"}>{note.text}</p>}
      {data && data.count > 0 && (
        <>
          <p className="muted">Every attempt failed. Check your mail settings (EMAIL_URL), then send them again.</p>
          <ul className="delivery-list" aria-label="E-mails that could not be sent">
            {data.results.map((email) => (
              <li key={email.delivery_id} className="delivery">
                <div className="delivery-head">
                  <strong>{label(KIND_WORDS, email.kind)}</strong>
                  <span className="muted">to {email.to}</span>
                </div>
                <p className="muted">
                  {formatTime(email.created_at)} · {email.attempts} {email.attempts === 1 ? "attempt" : "attempts"}
                </p>
                {email.last_error && <p className="field-error">{email.last_error}</p>}
                <button
                  type="button"
                  onClick={() => sendAgain(email)}
                  disabled={busy === email.delivery_id}
                  aria-label={`Send again: ${label(KIND_WORDS, email.kind)} to ${email.to}`}
                >
                  Send again
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
