import { mount } from "./mount.jsx";
import PaymentsPage from "../payments/PaymentsPage.jsx";

mount(() => <PaymentsPage />);
