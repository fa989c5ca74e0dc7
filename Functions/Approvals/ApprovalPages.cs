using System.Net;
using System.Text;
using Microsoft.AspNetCore.Mvc;

namespace Cordon.Approvals;

/// <summary>Small, self-contained HTML pages (no scripts, no remote assets) for approvers.</summary>
public static class ApprovalPages
{
    public static ContentResult Page(int status, string title, string bodyHtml) => new()
    {
        StatusCode = status,
        ContentType = "text/html; charset=utf-8",
        Content = new StringBuilder()
            .Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">")
            .Append("<meta name=\"robots\" content=\"noindex\"><link rel=\"icon\" href=\"data:,\"><title>").Append(E(title)).Append(" · Cordon</title><style>")
            .Append("body{font-family:system-ui,Segoe UI,Helvetica,Arial,sans-serif;background:#f3f4f6;color:#111827;margin:0}")
            .Append("main{max-width:44rem;margin:2rem auto;background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:1.5rem 2rem}")
            .Append("header{background:#1e293b;color:#fff;padding:.75rem 2rem;font-size:.85rem;letter-spacing:.08em}")
            .Append("h1{font-size:1.4rem;margin:.2rem 0 1rem}table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #f3f4f6;vertical-align:top}")
            .Append("th{width:32%;color:#4b5563;font-weight:600}.choices{display:flex;gap:.75rem;flex-wrap:wrap;margin-top:1rem}")
            .Append("button{font-size:1rem;padding:.6rem 1.1rem;border-radius:6px;border:0;cursor:pointer;font-weight:600}")
            .Append(".approve{background:#15803d;color:#fff}.reject{background:#b91c1c;color:#fff}.escalate{background:#7c2d12;color:#fff}")
            .Append("tr.sub th{padding-left:1.4rem;font-weight:500}pre.notice{white-space:pre-wrap;font:inherit;font-size:.92rem;background:#f9fafb;border-left:4px solid #94a3b8;padding:.6rem .9rem}h2{font-size:1.1rem}")
            .Append("textarea{width:100%;min-height:4rem;font:inherit}.note{color:#4b5563;font-size:.9rem}.ok{color:#15803d}.refused{color:#b91c1c}")
            .Append("</style></head><body><header>CORDON · INSIDER-RISK RESPONSE</header><main>")
            .Append("<h1>").Append(E(title)).Append("</h1>").Append(bodyHtml).Append("</main></body></html>")
            .ToString(),
    };

    public static ContentResult Message(int status, string title, string message, string cssClass = "note") =>
        Page(status, title, $"<p class=\"{cssClass}\" role=\"status\">{E(message)}</p>");

    public static string E(string? s) => WebUtility.HtmlEncode(s ?? "");
}
