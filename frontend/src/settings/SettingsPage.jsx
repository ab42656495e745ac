// The signed-in user's payment gateways: list, add, default, enable/disable, delete, test.
import { useCallback, useEffect, useState } from "react";
import ConfigCard from "./ConfigCard.jsx";
import ConfigForm from "./ConfigForm.jsx";
import Dialog from "../modal/Dialog.jsx";
import { paymentService as defaultService } from "../api/paymentService.js";

export default function SettingsPage({ service = defaultService }) {
  const [types, setTypes] = useState(null);
  const [configs, setConfigs] = useState(null);
  const [error, setError] = useState("");
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState(null);
  const [notice, setNotice] = useState("");

  const reload = useCallback(async () => {
    try {
      const [t, c] = await Promise.all([service.listGatewayTypes(), service.listGatewayConfigs()]);
      setTypes(t);
      setConfigs(c);
      setError("");
    } catch (err) {
      setError(err.status === 401 || err.status === 403 ? "Your session has ended. Sign in again." : err.message);
    }
  }, [service]);

  useEffect(() => {
    reload();
  }, [reload]);

  async function confirmDelete() {
    const config = deleting;
    try {
      await service.deleteGatewayConfig(config.id);
      setDeleting(null);
      setNotice(`${config.display_name} was deleted.`);
      await reload();
    } catch (err) {
      setDeleting(null);
      setNotice(err.message);
    }
  }

  if (error) return <section className="card"><h1>Payment gateways</h1><p className="notice error" role="alert">{error}</p></section>;
  if (!types || !configs) return <section className="card"><p role="status">Loading your gateways…</p></section>;

  return (
    <section className="stack">
      <header className="page-head">
        <h1>Payment gateways</h1>
        {!adding && <button type="button" className="primary" onClick={() => setAdding(true)}>Add a gateway</button>}
      </header>
      <p className="muted">Your clients pay your invoices through your default gateway.</p>
      {notice && <p className="notice info" role="status">{notice}</p>}
      {adding && (
        <ConfigForm
          types={types}
          service={service}
          onCancel={() => setAdding(false)}
          onSaved={async (saved) => {
            setAdding(false);
            setNotice(`${saved.display_name} was added. Set its webhook URL in the gateway's dashboard.`);
            await reload();
          }}
        />
      )}
      {configs.length === 0 && !adding && <p className="card">No gateway yet. Add one so your clients can pay online.</p>}
      {configs.map((config) => (
        <ConfigCard key={config.id} config={config} type={types.find((t) => t.name === config.gateway_name)} service={service} onChanged={reload} onDelete={setDeleting} />
      ))}
      {deleting && (
        <Dialog title={`Delete ${deleting.display_name}?`} onClose={() => setDeleting(null)}>
          <p>Clients will no longer be able to pay through it. Payments already made keep their history.</p>
          <div className="actions">
            <button type="button" className="danger" onClick={confirmDelete}>Delete</button>
            <button type="button" onClick={() => setDeleting(null)}>Keep it</button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
