"""What a browser meets at the fake PayPal (tests only): PayPal's approve page and its JS SDK.

The fake PayPal (`fake_paypal`) serves these before its REST API (`route`), through the same faults.
Answers keep the fake's shapes: `302, {"location": …}` for a redirect, `0, {"js": …}` for a script.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

if TYPE_CHECKING:
    from tests.fakes.fake_paypal import FakePayPal


def route(fake: FakePayPal, method: str, path: str, query: str, raw: bytes) -> tuple[int, dict[str, Any]] | None:
    """The browser's answer to this request, or None when it is one for the REST API."""
    if path == "/sdk/js":
        return 0, {"js": FAKE_JS_SDK.replace("__FAKE__", fake.url).replace("__OUTCOME__", fake.buttons_outcome)}
    if method == "GET" and path.startswith("/checkoutnow"):
        return approve_page(fake, query)
    if method == "POST" and path == "/test/approve":  # the fake JS SDK's popup: the payer approved
        fake.approve(str(json.loads(raw)["order_id"]))
        return 200, {}
    return None


def approve_page(fake: FakePayPal, query: str) -> tuple[int, dict[str, Any]]:
    """The payer-action link: the payer approves at once and is sent to the order's return URL."""
    order_id = parse_qs(query).get("token", [""])[0]
    fake.approve(order_id)
    order = fake.orders[order_id]
    return_url = order["experience_context"].get("return_url", "/")
    sep = "&" if "?" in return_url else "?"
    return 302, {
        "location": f"{return_url}{sep}{urlencode({'token': order_id, 'PayerID': order['payer']['payer_id']})}"
    }


# The fake JS SDK: `paypal.Buttons({createOrder, onApprove, onCancel, onInit}).render(el)` draws one
# button as PayPal's does (gold, the container's full width, its own inline style: PayPal's are in an
# iframe, so the page's CSS never reaches them) and hands onInit the enable/disable actions. A click
# asks createOrder for the order id, then plays the payer's part in PayPal's popup as
# `FakePayPal.buttons_outcome` says: "approve" approves that order at the fake and calls
# onApprove({orderID}); "cancel" (the payer closed the popup) calls onCancel({orderID}).
FAKE_JS_SDK = """
window.paypal = {
  version: "5.0.0-fake",
  Buttons: function (options) {
    var button = document.createElement("button");
    return {
      isEligible: function () { return true; },
      close: function () { button.remove(); return Promise.resolve(); },
      render: function (container) {
        var el = typeof container === "string" ? document.querySelector(container) : container;
        button.type = "button";
        button.textContent = "PayPal";
        button.setAttribute("aria-label", "Pay with PayPal");
        button.style.cssText = "display:block;box-sizing:border-box;width:100%;min-width:150px;max-width:750px;" +
          "height:45px;margin:0;border:0;border-radius:4px;background:#ffc439;color:#003087;" +
          "font:italic 700 18px/45px Helvetica,Arial,sans-serif;cursor:pointer;padding:0";
        var actions = {
          enable: function () { button.disabled = false; return Promise.resolve(); },
          disable: function () { button.disabled = true; return Promise.resolve(); },
        };
        button.onclick = function () {
          Promise.resolve(options.createOrder({}, {})).then(function (orderID) {
            if ("__OUTCOME__" === "cancel") {
              if (options.onCancel) options.onCancel({orderID: orderID});
              return;
            }
            var approval = {method: "POST", mode: "no-cors", body: JSON.stringify({order_id: orderID})};
            return fetch("__FAKE__/test/approve", approval)
              .then(function () { return options.onApprove({orderID: orderID, payerID: "FAKEPAYER"}, {}); });
          }).catch(function (err) { if (options.onError) options.onError(err); });
        };
        el.appendChild(button);
        if (options.onInit) options.onInit({}, actions);
        return Promise.resolve();
      },
    };
  },
};
"""
