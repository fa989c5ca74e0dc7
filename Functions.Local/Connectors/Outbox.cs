using Cordon.Notification;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cordon.World;

namespace Cordon.Local.Connectors;

public sealed record OutboxMail(string Id, IReadOnlyList<string> To, string Subject, string Html, string Text, IReadOnlyList<string> Links, DateTimeOffset SentAt, string Category, IReadOnlyDictionary<string, string> CustomArgs);

/// <summary>The local e-mail adapter: every mail is a JSON file under {data-dir}/outbox, shown at /outbox.</summary>
public sealed partial class Outbox(string directory, TimeProvider time) : IEmailSender
{
    public string Directory { get; } = directory;

    public async Task<string> SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        DateTimeOffset now = time.GetUtcNow();
        string id = $"{now:yyyyMMddHHmmssfff}-{Guid.NewGuid():N}"[..40];
        var links = LinkPattern().Matches(message.Html).Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value)).Distinct().ToList();
        var mail = new OutboxMail(id, message.To, message.Subject, message.Html, message.Text, links, now, message.Category, message.CustomArgs);
        System.IO.Directory.CreateDirectory(Directory);
        // Written aside and renamed into place: a reader (the /outbox page, a test) never sees a half-written mail,
        // and a crash mid-write leaves only a .tmp file that nothing lists.
        string path = Path.Combine(Directory, id + ".json");
        await File.WriteAllTextAsync(path + ".tmp", JsonSerializer.Serialize(mail, CordonJson.Options), cancellationToken);
        File.Move(path + ".tmp", path);
        return "outbox-" + id;
    }

    /// <summary>How many mails were sent, without reading them (one directory listing).</summary>
    public int Count() => System.IO.Directory.Exists(Directory) ? System.IO.Directory.EnumerateFiles(Directory, "*.json").Count() : 0;

    public IReadOnlyList<OutboxMail> List()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }

        return System.IO.Directory.GetFiles(Directory, "*.json")
            .Select(f => JsonSerializer.Deserialize<OutboxMail>(File.ReadAllText(f), CordonJson.Options)!)
            .OrderByDescending(m => m.SentAt).ThenByDescending(m => m.Id)
            .ToList();
    }

    [GeneratedRegex("href=\"([^\"]+)\"", RegexOptions.CultureInvariant)]
    private static partial Regex LinkPattern();
}
