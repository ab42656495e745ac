// The signed-in user's payments: newest first, filtered by status, searched by invoice number,
// paged, under the open disputes; one opens into its timeline.
import { useCallback, useEffect, useState } from "react";
import DisputesPanel from "./DisputesPanel.jsx";
import PaymentTimeline from "./PaymentTimeline.jsx";
import { formatTime } from "./timeline.js";
import { paymentService as defaultService } from "../api/paymentService.js";
import { PAYMENT_STATUS, label } from "../lib/labels.js";
import { formatMoney } from "../lib/money.js";

const PAGE_SIZE = 20; // the API's page size

function openDisputesText(count) {
  return count === 1 ? "Open dispute" : `${count} open disputes`;
}

// The row is one button, so its name carries what its columns show to the eye.
function rowName(p) {
  const parts = [`Invoice ${p.invoice_number}`, formatMoney(p.amount, p.currency), label(PAYMENT_STATUS, p.status)];
  if (Number(p.disputed_amount) > 0) parts.push(`${formatMoney(p.disputed_amount, p.currency)} disputed`);
  if (p.open_disputes > 0) parts.push(openDisputesText(p.open_disputes).toLowerCase());
  return parts.join(", ");
}

export default function PaymentsPage({ service = defaultService }) {
  const [filters, setFilters] = useState({ status: "", q: "", page: 1 });
  const [search, setSearch] = useState("");
  const [page, setPage] = useState(null);
  const [error, setError] = useState("");
  const [openId, setOpenId] = useState(null);
  const [disputes, setDisputes] = useState(null);
  const [disputesError, setDisputesError] = useState("");

  const reload = useCallback(async () => {
    try {
      setPage(await service.listPayments(filters));
      setError("");
    } catch (err) {
      setError(err.status === 401 || err.status === 403 ? "Your session has ended. Sign in again." : err.message);
    }
  }, [service, filters]);

  const reloadDisputes = useCallback(async () => {
    try {
      setDisputes(await service.listDisputes({ open: true }));
      setDisputesError("");
    } catch (err) {
      // The list above says when the session has ended; this says only what is missing.
      setDisputesError(err.status === 401 || err.status === 403 ? "" : err.message);
    }
  }, [service]);

  useEffect(() => {
    reload();
  }, [reload]);

  useEffect(() => {
    reloadDisputes();
  }, [reloadDisputes]);

  const changed = useCallback(() => Promise.all([reload(), reloadDisputes()]), [reload, reloadDisputes]);

  if (openId) {
    return <PaymentTimeline paymentId={openId} service={service} onBack={() => setOpenId(null)} onChanged={changed} />;
  }

  const pages = page ? Math.max(Math.ceil(page.count / PAGE_SIZE), 1) : 1;
  return (
    <section className="stack">
      <header className="page-head"><h1>Payments</h1></header>
      <DisputesPanel page={disputes} error={disputesError} onOpen={setOpenId} />
      <form className="filters" role="search" onSubmit={(e) => { e.preventDefault(); setFilters({ ...filters, q: search.trim(), page: 1 }); }}>
        <div className="field">
          <label htmlFor="payments-status">Status</label>
          <select id="payments-status" value={filters.status} onChange={(e) => setFilters({ ...filters, status: e.target.value, page: 1 })}>
            <option value="">All</option>
            {Object.entries(PAYMENT_STATUS).map(([value, text]) => <option key={value} value={value}>{text}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="payments-search">Invoice number</label>
          <div className="copy-row">
            <input id="payments-search" type="search" value={search} maxLength={64} onChange={(e) => setSearch(e.target.value)} />
            <button type="submit">Search</button>
          </div>
        </div>
      </form>
      {error && <p className="notice error" role="alert">{error}</p>}
      {!page && !error && <p role="status">Loading your payments…</p>}
      {page && page.count === 0 && (
        <p className="card">{filters.status || filters.q ? "No payment matches." : "No payments yet. They appear here as your clients pay."}</p>
      )}
      {page && page.count > 0 && (
        <ul className="payment-list" aria-label="Payments">
          {page.results.map((p) => (
            <li key={p.payment_id}>
              <button type="button" className="payment-row" onClick={() => setOpenId(p.payment_id)} aria-label={rowName(p)}>
                <span className="payment-main">
                  <strong>{p.invoice_number}</strong>
                  <span className="muted">{p.client_name}</span>
                </span>
                <span className="payment-amount">
                  {formatMoney(p.amount, p.currency)}
                  {Number(p.refunded_amount) > 0 && (
                    <span className="muted small">−{formatMoney(p.refunded_amount, p.currency)} refunded</span>
                  )}
                </span>
                <span className="payment-disputed">
                  <span className="muted small">Disputed</span>
                  <span>{Number(p.disputed_amount) > 0 ? formatMoney(p.disputed_amount, p.currency) : "—"}</span>
                </span>
                <span className="payment-meta">
                  <span className={`badge badge-${p.status}`}>{label(PAYMENT_STATUS, p.status)}</span>
                  {p.open_disputes > 0 && <span className="badge badge-dispute">{openDisputesText(p.open_disputes)}</span>}
                  {p.needs_attention && <span className="badge badge-attention">Needs attention</span>}
                  <span className="muted small">{p.gateway_display_name} · {formatTime(p.created_at)}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {page && pages > 1 && (
        <nav className="actions" aria-label="Pages">
          <button type="button" disabled={!page.previous} onClick={() => setFilters({ ...filters, page: filters.page - 1 })}>Newer</button>
          <span>Page {filters.page} of {pages}</span>
          <button type="button" disabled={!page.next} onClick={() => setFilters({ ...filters, page: filters.page + 1 })}>Older</button>
        </nav>
      )}
    </section>
  );
}
