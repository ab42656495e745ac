import { describe, expect, it } from "vitest";
import { checkAmount, formatMoney, toMinorUnits, toDecimalString } from "../src/lib/money.js";

describe("money", () => {
  it("formats for the locale, exact for zero- and three-decimal currencies", () => {
    expect(formatMoney("1250.00", "EUR", "en-US")).toBe("€1,250.00");
    expect(formatMoney("1250.00", "EUR", "de-DE")).toBe("1.250,00\u00a0€");
    expect(formatMoney("1000", "JPY", "en-US")).toBe("¥1,000");
    expect(formatMoney("1.250", "KWD", "en-US")).toBe("KWD\u00a01.250");
    expect(formatMoney("90071992547409.93", "USD", "en-US")).toBe("$90,071,992,547,409.93");
  });

  it("reads amounts into minor units without floating point", () => {
    expect(toMinorUnits("12.5", "EUR")).toBe(1250n);
    expect(toMinorUnits("12,50", "EUR")).toBe(1250n);
    expect(toMinorUnits("0.1", "EUR") + toMinorUnits("0.2", "EUR")).toBe(30n);
    expect(toMinorUnits("1.250", "KWD")).toBe(1250n);
    expect(toMinorUnits("1000", "JPY")).toBe(1000n);
    expect(toMinorUnits("10.5", "JPY")).toBeNull();
    expect(toMinorUnits("1.001", "EUR")).toBeNull();
    expect(toMinorUnits("-5", "EUR")).toBeNull();
    expect(toMinorUnits("1e3", "EUR")).toBeNull();
    expect(toDecimalString(1250n, "KWD")).toBe("1.250");
    expect(toDecimalString(5n, "EUR")).toBe("0.05");
  });

  it("checks a typed amount against what can be paid", () => {
    expect(checkAmount("50", { currency: "EUR", max: "330.00" })).toEqual({ amount: "50.00" });
    expect(checkAmount("330.01", { currency: "EUR", max: "330.00" }).error).toMatch(/at most €330.00/);
    expect(checkAmount("0", { currency: "EUR", max: "330.00" }).error).toMatch(/greater than zero/);
    expect(checkAmount("", { currency: "EUR", max: "330.00" }).error).toMatch(/Enter an amount/);
    expect(checkAmount("abc", { currency: "EUR", max: "330.00" }).error).toMatch(/at most 2 decimals/);
    expect(checkAmount("10.5", { currency: "JPY", max: "1000" }).error).toMatch(/whole amount/);
  });
});
