// Gateway forms by gateway name. Each is its own lazy chunk: its code (and any SDK it loads,
// such as Stripe.js) is fetched only when a client pays through that gateway.
// Adding a gateway's form: one file in this folder, one line here (see docs/frontend.md).
import { lazy } from "react";

export const gatewayForms = {
  stripe: lazy(() => import("./StripePaymentForm.jsx")),
  sandbox: lazy(() => import("./SandboxPaymentForm.jsx")),
  paypal: lazy(() => import("./PayPalPaymentForm.jsx")),
};
