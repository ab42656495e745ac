// Money on the page: the API sends decimal strings in major units ("1250.00", "1000" for JPY,
// "1.250" for KWD). They are formatted as strings (Intl formats a decimal string exactly) and
// compared as BigInt minor units; never as floating point numbers.

export function userLocale() {
  return globalThis.navigator?.language || "en-US";
}

export function currencyExponent(currency) {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
}

export function formatMoney(amount, currency, locale = userLocale()) {
  if (amount === null || amount === undefined || amount === "") return "";
  const digits = currencyExponent(currency);
  const format = new Intl.NumberFormat(locale, {
    style: "currency",
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return format.format(String(amount));
}

// "12.5" -> 1250n for EUR; null when it is not a plain positive-or-zero decimal with at most
// the currency's number of decimals. A comma is taken as the decimal mark ("12,50").
export function toMinorUnits(text, currency) {
  const exponent = currencyExponent(currency);
  const cleaned = String(text).trim().replace(",", ".");
  const match = cleaned.match(/^(\d{1,15})(?:\.(\d*))?$/);
  if (!match) return null;
  const fraction = match[2] ?? "";
  if (fraction.length > exponent) return null;
  return BigInt(match[1] + fraction.padEnd(exponent, "0"));
}

export function toDecimalString(minor, currency) {
  const exponent = currencyExponent(currency);
  const digits = minor.toString().padStart(exponent + 1, "0");
  return exponent ? `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}` : digits;
}

// The amount a client typed (or an owner, for a refund: `verb` "refund"), checked against `max`
// before any call.
export function checkAmount(text, { currency, max, verb = "pay", empty = "Enter an amount." }) {
  if (!String(text).trim()) return { error: empty };
  const minor = toMinorUnits(text, currency);
  if (minor === null) {
    const exponent = currencyExponent(currency);
    return { error: exponent ? `Enter an amount like 10.${"0".repeat(exponent)}, with at most ${exponent} decimals.` : "Enter a whole amount, without decimals." };
  }
  if (minor <= 0n) return { error: "Enter an amount greater than zero." };
  const limit = toMinorUnits(max, currency);
  if (limit !== null && minor > limit) return { error: `You can ${verb} at most ${formatMoney(max, currency)}.` };
  return { amount: toDecimalString(minor, currency) };
}

export function formatDate(isoDate, locale = userLocale()) {
  if (!isoDate) return "";
  const [y, m, d] = isoDate.slice(0, 10).split("-").map(Number);
  return new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, d)));
}
