using System.Net;
using System.Text;

namespace Cordon.Notification;

/// <summary>A link button in a mail.</summary>
public sealed record MailAction(string Label, string Url);

/// <summary>
/// Renders Cordon's mails: accessible HTML (inline styles, no remote images, real text, lang and
/// role attributes) plus a plain-text twin. Approval links carry clicktracking=off so SendGrid leaves them alone.
/// </summary>
public static class MailLayout
{
    public static (string Html, string Text) Render(string title, string intro, IReadOnlyList<(string Label, string Value)> facts, IReadOnlyList<MailAction> actions, string footer,
        (string Label, string Text)? quote = null)
    {
        title = Title(title);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">")
            .Append("<title>").Append(E(title)).Append("</title></head>")
            .Append("<body style=\"margin:0;padding:0;background:#f3f4f6;font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#111827\">")
            .Append("<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td align=\"center\" style=\"padding:24px\">")
            .Append("<table role=\"presentation\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\" style=\"max-width:600px;background:#ffffff;border-radius:8px;border:1px solid #e5e7eb\">")
            .Append("<tr><td style=\"background:#1e293b;color:#ffffff;padding:16px 24px;border-radius:8px 8px 0 0;font-size:14px;letter-spacing:.08em\">CORDON · INSIDER-RISK RESPONSE</td></tr>")
            .Append("<tr><td style=\"padding:24px\"><h1 style=\"margin:0 0 12px;font-size:20px\">").Append(E(title)).Append("</h1>")
            .Append("<p style=\"margin:0 0 16px;line-height:1.5\">").Append(E(intro)).Append("</p>");
        if (facts.Count > 0)
        {
            html.Append("<table role=\"presentation\" cellpadding=\"6\" cellspacing=\"0\" style=\"width:100%;border-collapse:collapse;font-size:14px;margin-bottom:16px\">");
            foreach (var (label, value) in facts)
            {
                html.Append("<tr><th scope=\"row\" align=\"left\" style=\"width:35%;color:#4b5563;border-bottom:1px solid #f3f4f6;vertical-align:top\">")
                    .Append(E(label)).Append("</th><td style=\"border-bottom:1px solid #f3f4f6\">").Append(E(Defanged(value))).Append("</td></tr>");
            }

            html.Append("</table>");
        }

        if (quote is { } q)
        {
            html.Append("<h2 style=\"font-size:15px;margin:0 0 6px\">").Append(E(q.Label)).Append("</h2>")
                .Append("<pre style=\"white-space:pre-wrap;font-family:inherit;font-size:13px;background:#f9fafb;border-left:4px solid #94a3b8;padding:8px 12px;margin:0 0 16px\">")
                .Append(E(q.Text)).Append("</pre>");
        }

        foreach (MailAction action in actions)
        {
            html.Append("<p style=\"margin:8px 0\"><a clicktracking=off href=\"").Append(E(action.Url))
                .Append("\" style=\"display:inline-block;background:#1d4ed8;color:#ffffff;text-decoration:none;padding:10px 18px;border-radius:6px;font-weight:600\">")
                .Append(E(action.Label)).Append("</a></p>");
        }

        html.Append("<p style=\"margin:16px 0 0;font-size:12px;color:#6b7280;line-height:1.5\">").Append(E(footer)).Append("</p>")
            .Append("</td></tr></table></td></tr></table></body></html>");

        var text = new StringBuilder();
        text.AppendLine(title).AppendLine(new string('=', Math.Min(title.Length, 72))).AppendLine().AppendLine(intro).AppendLine();
        foreach (var (label, value) in facts)
        {
            text.Append(label).Append(": ").AppendLine(Defanged(value));
        }

        if (quote is { } qt)
        {
            text.AppendLine().AppendLine(qt.Label + ":").AppendLine(string.Join(Environment.NewLine, qt.Text.TrimEnd().Split('\n').Select(l => "> " + l.TrimEnd('\r'))));
        }

        if (actions.Count > 0)
        {
            text.AppendLine();
            foreach (MailAction action in actions)
            {
                text.Append(action.Label).Append(": ").AppendLine(action.Url);
            }
        }

        text.AppendLine().AppendLine(footer);
        return (html.ToString(), text.ToString());
    }

    /// <summary>
    /// The one way Cordon writes a moment for people, in mails and on the approval pages alike: minutes and
    /// the zone spelled out, so a mail and the page it links to never disagree.
    /// </summary>
    public static string Time(DateTime t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    static string E(string s) => WebUtility.HtmlEncode(s);

    // Any "://" (not only after a word boundary: "_https://" and "1https://" were left live) and any "www.".
    static readonly System.Text.RegularExpressions.Regex WebAddress = new(@"://|www\.", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// Facts carry producers' text (an indicator's detail, a display name), and mail clients turn web addresses in text
    /// into links: from Cordon's trusted sender, "reject here: https://…" planted in a DLP detail would be a lure. Such
    /// addresses are shown defanged ("https[:]//", "www[.]"), as security mail shows indicators; Cordon's own links are
    /// the mail's buttons, never facts.
    /// </summary>
    public static string Defanged(string value) =>
        WebAddress.Replace(value, m => m.Value == "://" ? "[:]//" : m.Value[..^1] + "[.]");

    /// <summary>
    /// A mail's title as it may be shown: one line (it is the Subject, the page title, the heading and the first text
    /// line) and defanged, as facts are. Titles name sites and people from producers' alerts: a line break there forged
    /// lines in the text twin, and a text-direction override reordered the Subject. Such characters become spaces.
    /// </summary>
    public static string Title(string title) =>
        Defanged(new string(title.Select(c => TextMarks.BreaksOrReorders(c) ? ' ' : c).ToArray()));
}
