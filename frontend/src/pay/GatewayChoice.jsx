// Which of the owner's gateways the client pays through: shown only when there is more than one.
// A native radio group, so arrow keys move between the choices and a screen reader reads them as one.
import { useId } from "react";

function hint(gateway) {
  return gateway.public_config?.flow === "in_modal" ? "Here, on this page" : "On its own secure page, then back here";
}

export default function GatewayChoice({ choices, chosen, onChoose }) {
  const name = useId();
  return (
    <fieldset className="choices gateway-choice">
      <legend>How do you want to pay?</legend>
      {choices.map((gateway) => {
        // Named by the gateway alone and described by the hint: the whole row is still the click target.
        const nameId = `${name}-${gateway.config_id}-name`;
        const hintId = `${name}-${gateway.config_id}-hint`;
        return (
          <label key={gateway.config_id} className="choice gateway-option">
            <input
              type="radio"
              name={name}
              value={gateway.config_id}
              checked={chosen === gateway.config_id}
              onChange={() => onChoose(gateway.config_id)}
              aria-labelledby={nameId}
              aria-describedby={hintId}
            />
            <span className="gateway-option-text">
              <span className="gateway-option-name" id={nameId}>{gateway.display_name}</span>
              <span className="muted small" id={hintId}>{hint(gateway)}</span>
            </span>
          </label>
        );
      })}
    </fieldset>
  );
}
