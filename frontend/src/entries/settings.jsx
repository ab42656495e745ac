import { mount } from "./mount.jsx";
import SettingsPage from "../settings/SettingsPage.jsx";

mount(() => <SettingsPage />);
