import { mount } from "./mount.jsx";
import ResultPage from "../result/ResultPage.jsx";

mount(({ invoiceId, token, paymentId }) => <ResultPage invoiceId={invoiceId} token={token} paymentId={paymentId} />);
