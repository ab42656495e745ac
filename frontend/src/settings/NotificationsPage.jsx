// The signed-in user's notifications: the e-mails sent for their invoices, and their own webhook
// endpoints that receive the same events, signed.
import FailedEmails from "./FailedEmails.jsx";
import NotificationSettings from "./NotificationSettings.jsx";
import WebhookEndpoints from "./WebhookEndpoints.jsx";
import { paymentService as defaultService } from "../api/paymentService.js";

export default function NotificationsPage({ service = defaultService }) {
  return (
    <div className="stack">
      <header className="page-head"><h1>Notifications</h1></header>
      <FailedEmails service={service} />
      <NotificationSettings service={service} />
      <WebhookEndpoints service={service} />
    </div>
  );
}

