import { mount } from "./mount.jsx";
import NotificationsPage from "../settings/NotificationsPage.jsx";

mount(() => <NotificationsPage />);
