using System.Net;
using System.Text;
using Cordon.Local.Connectors;

namespace Cordon.Local;

/// <summary>GET /outbox: the mails the local host "sent", newest first, with their links clickable.</summary>
public static class OutboxPage
{
    public static string Render(IReadOnlyList<OutboxMail> mails)
    {
        var b = new StringBuilder();
        b.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>Outbox · Cordon (local)</title><style>")
         .Append("body{font-family:system-ui,sans-serif;margin:0;background:#f3f4f6;color:#111827}header{background:#1e293b;color:#fff;padding:.8rem 1.5rem}")
         .Append("main{max-width:60rem;margin:1rem auto;padding:0 1rem}article{background:#fff;border:1px solid #e5e7eb;border-radius:8px;margin:1rem 0;padding:1rem}")
         .Append("h2{font-size:1.05rem;margin:0 0 .3rem}.meta{color:#4b5563;font-size:.85rem}iframe{width:100%;height:28rem;border:1px solid #e5e7eb;border-radius:6px}")
         .Append("</style></head><body><header><strong>Cordon</strong> · local outbox (").Append(mails.Count).Append(" mails)</header><main>");
        if (mails.Count == 0)
        {
            b.Append("<p>No mail yet. Send an alert: <code>dotnet run --project Functions.Local -- send samples/alerts/critical-bribery.json</code></p>");
        }

        foreach (OutboxMail m in mails)
        {
            b.Append("<article data-mail-id=\"").Append(E(m.Id)).Append("\" data-category=\"").Append(E(m.Category)).Append("\"><h2>").Append(E(m.Subject)).Append("</h2>")
             .Append("<p class=\"meta\">To ").Append(E(string.Join(", ", m.To))).Append(" · ").Append(E(m.SentAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture))).Append(" · ").Append(E(m.Category)).Append("</p>");
            foreach (string link in m.Links)
            {
                b.Append("<p><a class=\"mail-link\" href=\"").Append(E(link)).Append("\">").Append(E(link.Length > 90 ? link[..90] + "…" : link)).Append("</a></p>");
            }

            b.Append("<details><summary>Show mail</summary><iframe sandbox title=\"").Append(E(m.Subject)).Append("\" srcdoc=\"").Append(E(m.Html)).Append("\"></iframe></details></article>");
        }

        return b.Append("</main></body></html>").ToString();
    }

    static string E(string s) => WebUtility.HtmlEncode(s);
}
