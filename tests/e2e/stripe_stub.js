// A stand-in for Stripe.js in the browser tests, served for https://js.stripe.com/... by Playwright's
// request routing. It mounts a plain field where the Payment Element would be, and confirmPayment
// asks the test (at https://js.stripe.com/_stub/confirm, also routed) to confirm the PaymentIntent at
// the fake Stripe server; then it returns to return_url, as Stripe.js does.
(function () {
  function StubElement(type) {
    this.type = type;
    this.handlers = {};
  }
  StubElement.prototype.mount = function (node) {
    const target = typeof node === "string" ? document.querySelector(node) : node;
    target.innerHTML = '<label>Card number (Stripe test stub) <input name="card" value="4242 4242 4242 4242"></label>';
    const self = this;
    setTimeout(function () {
      (self.handlers.ready || []).forEach(function (h) { h({ elementType: self.type }); });
    }, 0);
  };
  StubElement.prototype.on = function (event, handler) {
    (this.handlers[event] = this.handlers[event] || []).push(handler);
    return this;
  };
  StubElement.prototype.off = function (event, handler) {
    this.handlers[event] = (this.handlers[event] || []).filter(function (h) { return h !== handler; });
    return this;
  };
  StubElement.prototype.update = function () {};
  StubElement.prototype.unmount = function () {};
  StubElement.prototype.destroy = function () {};

  window.Stripe = function (publishableKey) {
    return {
      elements: function (options) {
        window.__stripeStub = { publishableKey: publishableKey, clientSecret: options.clientSecret };
        return {
          _options: options,
          create: function (type) { return new StubElement(type); },
          getElement: function () { return null; },
          update: function () {},
          fetchUpdates: function () { return Promise.resolve({}); },
          submit: function () { return Promise.resolve({}); },
        };
      },
      createToken: function () {},
      createPaymentMethod: function () {},
      confirmCardPayment: function () {},
      _registerWrapper: function () {},
      registerAppInfo: function () {},
      confirmPayment: function (args) {
        return fetch("https://js.stripe.com/_stub/confirm", {
          method: "POST",
          body: JSON.stringify({ client_secret: args.elements._options.clientSecret }),
        })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            if (data.error) return { error: data.error };
            const back = new URL(args.confirmParams.return_url);
            back.searchParams.set("payment_intent", data.id);
            back.searchParams.set("redirect_status", "succeeded");
            window.location.assign(back.toString());
            return new Promise(function () {});
          });
      },
    };
  };
})();
