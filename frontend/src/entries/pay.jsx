import { mount } from "./mount.jsx";
import PayPage from "../pay/PayPage.jsx";

mount(({ invoiceId, token }) => <PayPage invoiceId={invoiceId} token={token} />);
