using Cordon.Local.Connectors;
using Cordon.Notification;

namespace Cordon.Tests.Notification;

/// <summary>The local outbox is read while mails are being written (the /outbox page, the approver following a link).</summary>
[Trait("Category", "Unit")]
public sealed class OutboxTests
{
    [Fact]
    public async Task The_outbox_never_shows_a_half_written_mail_while_mails_are_being_sent()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cordon-outbox-" + Guid.NewGuid().ToString("N"));
        var outbox = new Outbox(dir, TimeProvider.System);
        string body = new('x', 200_000); // large enough that a write is not one syscall
        try
        {
            using var done = new CancellationTokenSource();
            Task sending = Task.Run(async () =>
            {
                for (int i = 0; i < 60; i++)
                {
                    await outbox.SendAsync(new EmailMessage(["lead@example.test"], $"mail {i}", $"<p>{body}</p>", body, "approval", new Dictionary<string, string>()), CancellationToken.None);
                }
            });
            int seen = 0;
            while (!sending.IsCompleted)
            {
                seen = Math.Max(seen, outbox.List().Count); // threw JsonException on a mail still being written
            }

            await sending;
            Assert.Equal(60, outbox.List().Count);
            Assert.All(outbox.List(), m => Assert.StartsWith("mail ", m.Subject));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_mail_cut_off_by_a_crash_mid_write_does_not_break_the_outbox()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cordon-outbox-" + Guid.NewGuid().ToString("N"));
        var outbox = new Outbox(dir, TimeProvider.System);
        try
        {
            await outbox.SendAsync(new EmailMessage(["lead@example.test"], "whole", "<p>whole</p>", "whole", "approval", new Dictionary<string, string>()), CancellationToken.None);
            await File.WriteAllTextAsync(Path.Combine(dir, "20261130000000000-cut.json.tmp"), "{\"id\":\"cut"); // what a crash leaves

            OutboxMail only = Assert.Single(outbox.List());
            Assert.Equal("whole", only.Subject);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
