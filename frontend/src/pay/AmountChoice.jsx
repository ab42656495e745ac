// The full amount, or (where the invoice allows it) another amount, checked before any call.
import { useId } from "react";
import { formatMoney } from "../lib/money.js";

export default function AmountChoice({ info, mode, onMode, other, onOther, error }) {
  const inputId = useId();
  const errorId = useId();
  const full = formatMoney(info.amount_payable, info.currency);
  if (!info.allow_partial_payment) {
    return <p className="to-pay">To pay now: <strong>{full}</strong></p>;
  }
  return (
    <fieldset className="choices">
      <legend>How much do you want to pay?</legend>
      <label className="choice">
        <input type="radio" name="amount-mode" value="full" checked={mode === "full"} onChange={() => onMode("full")} />
        The full amount, {full}
      </label>
      <label className="choice">
        <input type="radio" name="amount-mode" value="other" checked={mode === "other"} onChange={() => onMode("other")} />
        Another amount
      </label>
      {mode === "other" && (
        <div className="field">
          <label htmlFor={inputId}>Amount in {info.currency}</label>
          <input
            id={inputId}
            inputMode="decimal"
            autoComplete="off"
            value={other}
            onChange={(e) => onOther(e.target.value)}
            aria-invalid={error ? "true" : undefined}
            aria-describedby={error ? errorId : undefined}
          />
          {error && <p id={errorId} className="field-error">{error}</p>}
        </div>
      )}
    </fieldset>
  );
}
