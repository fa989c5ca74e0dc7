using Cordon.Evidence;

namespace Cordon.Tests;

/// <summary>The evidence store fails the first write of an item whose name starts with the prefix (a storage outage), then recovers.</summary>
public sealed class FailFirstPut(IEvidenceStore inner, string prefix) : IEvidenceStore
{
    int failed;

    /// <summary>Wraps the host's evidence store (the last one registered) in a store that fails the first write of a <paramref name="prefix"/> item.</summary>
    public static void Around(IServiceCollection services, string prefix)
    {
        ServiceDescriptor registered = services.Last(d => d.ServiceType == typeof(IEvidenceStore));
        Func<IServiceProvider, object> factory = registered.ImplementationFactory
            ?? throw new InvalidOperationException("the host registers its evidence store through a factory");
        services.AddSingleton<IEvidenceStore>(sp => new FailFirstPut((IEvidenceStore)factory(sp), prefix));
    }

    public bool Failed => Volatile.Read(ref failed) == 1;

    public Task<EvidenceItem> PutAsync(string incidentId, string name, ReadOnlyMemory<byte> content, string contentType, CancellationToken ct) =>
        PutAsync(incidentId, name, content, contentType, CustodyNote.ByStore, ct);

    public Task<EvidenceItem> PutAsync(string incidentId, string name, ReadOnlyMemory<byte> content, string contentType, CustodyNote custody, CancellationToken ct)
    {
        if (name.StartsWith(prefix, StringComparison.Ordinal) && Interlocked.Exchange(ref failed, 1) == 0)
        {
            throw new IOException("evidence store unavailable (503 after the client's retries)");
        }

        return inner.PutAsync(incidentId, name, content, contentType, custody, ct);
    }

    public Task<byte[]?> GetAsync(string incidentId, string name, CancellationToken ct) => inner.GetAsync(incidentId, name, ct);

    public Task<byte[]?> FindAsync(string incidentId, string name, string contentType, CustodyNote custody, CancellationToken ct) =>
        inner.FindAsync(incidentId, name, contentType, custody, ct);

    public Task<IReadOnlyList<EvidenceItem>> ListAsync(string incidentId, CancellationToken ct) => inner.ListAsync(incidentId, ct);

    public Task<CustodyEntry> AppendCustodyAsync(string incidentId, string actor, string action, string item, string? sha, CancellationToken ct) =>
        inner.AppendCustodyAsync(incidentId, actor, action, item, sha, ct);

    public Task<EvidenceVerification> VerifyAsync(string incidentId, CancellationToken ct) => inner.VerifyAsync(incidentId, ct);

    public Task<EvidenceVerification> VerifyAsync(string incidentId, RecordedHead? recorded, CancellationToken ct) => inner.VerifyAsync(incidentId, recorded, ct);

    public Task<CustodyHead?> HeadAsync(string incidentId, CancellationToken ct) => inner.HeadAsync(incidentId, ct);
}
