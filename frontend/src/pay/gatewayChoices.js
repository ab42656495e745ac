// The gateways a client may pay an invoice through, the default first. `gateways` is the list the
// API gives; a server that predates it gives only `gateway` (the default), which is then the one choice.
export function gatewayChoices(info) {
  if (info?.gateways?.length) return info.gateways;
  return info?.gateway ? [info.gateway] : [];
}

// The choice with this config id; without an id, the default. Null when that config is offered no more.
export function chosenGateway(info, configId) {
  const choices = gatewayChoices(info);
  if (!configId) return choices[0] ?? null;
  return choices.find((g) => g.config_id === configId) ?? null;
}
