using System.Text.Json;

namespace Cordon.Evidence;

/// <summary>
/// A step's first capture, kept write-once with the evidence: a step run again (Durable Task runs one at least once)
/// works from what its first run found, not from what the world looks like after it acted.
/// </summary>
public static class FirstCapture
{
    /// <summary>
    /// The value stored under <paramref name="name"/>, or <paramref name="capture"/>'s, stored now when none is. When a
    /// concurrent run stored its capture first, that one stands.
    /// </summary>
    public static async Task<T> FirstAsync<T>(this IEvidenceStore evidence, string incidentId, string name, Func<Task<T>> capture, CustodyNote note)
    {
        if (await evidence.FindAsync(incidentId, name, "application/json", note, CancellationToken.None) is { } stored)
        {
            return JsonSerializer.Deserialize<T>(stored, CordonJson.Options)!;
        }

        T value = await capture();
        try
        {
            await evidence.PutAsync(incidentId, name, JsonSerializer.SerializeToUtf8Bytes(value, CordonJson.Options), "application/json", note, CancellationToken.None);
            return value;
        }
        catch (InvalidOperationException)
        {
            byte[] first = await evidence.FindAsync(incidentId, name, "application/json", note, CancellationToken.None)
                ?? throw new InvalidOperationException($"{name} of {incidentId} was refused and is not there");
            return JsonSerializer.Deserialize<T>(first, CordonJson.Options)!;
        }
    }
}
