using Cordon.Evidence;
using System.Text.Json;

namespace Cordon.Notification;

/// <summary>
/// A notice e-mail's attempts, each recorded with the evidence before its send (the notice's proof is stored after). Mail
/// has no idempotency key: an attempt found without its proof (the host stopped, or storing the proof failed, after the
/// send) may have been delivered or not. A notice is never withheld on that doubt — a missed notice is the worse failure —
/// so it goes again, marked as sent again (found by an attack: a client got two identical notices, the record named one).
/// An attempt the provider refused (<see cref="MailRefusedException"/>: no copy can have been delivered) is recorded so
/// and marks no later copy: "sent again" would tell the client of a copy nobody got. Items are write-once, so each attempt
/// has its own: <c>{stem}.json</c>, <c>{stem}-2.json</c>, …, and a refused one its <c>…-refused.json</c>.
/// </summary>
public static class MailAttempt
{
    /// <summary>
    /// Records this attempt under the first number of <paramref name="stem"/> no run has taken, then sends it, marked as sent
    /// again when an earlier attempt is not known refused. A refusal is recorded, then thrown on.
    /// </summary>
    public static async Task<T> SendAsync<T>(IEvidenceStore evidence, TimeProvider time, string incidentId, string stem, string actor, string what,
        Func<bool, Task<T>> send)
    {
        var mine = new Attempt(time.GetUtcNow().UtcDateTime, Guid.NewGuid());
        bool sentAgain = false;
        int number = 1;
        while ((await evidence.FirstAsync(incidentId, AttemptItem(stem, number), () => Task.FromResult(mine), new CustodyNote(actor, $"{what} being sent"))).Run != mine.Run)
        {
            // Another run's attempt, earlier or concurrent (one recorded before attempts carried a run id is another's too):
            // its copy may have been delivered unless it was refused.
            sentAgain |= await evidence.FindAsync(incidentId, RefusedItem(stem, number), "application/json", RefusedNote(actor, what), CancellationToken.None) is null;
            number++;
        }

        try
        {
            return await send(sentAgain);
        }
        catch (MailRefusedException refused)
        {
            // If the store fails here, the refusal is not recorded and the next copy goes marked as sent again: the safe side.
            await evidence.PutAsync(incidentId, RefusedItem(stem, number),
                JsonSerializer.SerializeToUtf8Bytes(new Refusal(time.GetUtcNow().UtcDateTime, refused.Message), CordonJson.Options), "application/json",
                RefusedNote(actor, what), CancellationToken.None);
            throw;
        }
    }

    /// <summary>The refusal's custody entry, as it is stored and as a rerun that finds it looks for it.</summary>
    static CustodyNote RefusedNote(string actor, string what) => new(actor, $"{what} refused by the mail provider: not delivered");

    /// <summary>The first attempt keeps the name it had before attempts were numbered.</summary>
    static string AttemptItem(string stem, int number) => number == 1 ? $"{stem}.json" : $"{stem}-{number}.json";

    static string RefusedItem(string stem, int number) => number == 1 ? $"{stem}-refused.json" : $"{stem}-{number}-refused.json";

    sealed record Attempt(DateTime At, Guid Run);

    sealed record Refusal(DateTime At, string Answer);

    /// <summary>The sentence a notice sent again carries.</summary>
    public const string SentAgainNote = " This notice is sent again because the delivery of an earlier copy could not be confirmed; if you received it, both are the same notice.";
}
