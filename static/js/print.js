// The claim form's "print" button: the browser's print dialog, which also saves as PDF.
document.getElementById("print-button")?.addEventListener("click", () => window.print());
