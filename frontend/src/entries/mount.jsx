// Renders a page component into the element Django rendered, with the ids it carries.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { pageParams } from "../lib/urls.js";

export function mount(render) {
  const root = document.getElementById("root");
  createRoot(root).render(<StrictMode>{render(pageParams(root))}</StrictMode>);
  performance.mark("app-rendered");
}
