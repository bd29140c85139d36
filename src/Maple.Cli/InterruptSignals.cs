using System.Runtime.InteropServices;

namespace Maple.Cli;

/// <summary>
/// Turns the first Ctrl+C (SIGINT) or SIGTERM into the cancellation of the running command, which stops at its next
/// step and says so (a training says how to resume); a second signal ends the process at once, as if unhandled.
/// </summary>
sealed class InterruptSignals : IDisposable
{
    readonly CancellationTokenSource _cancellation = new();
    readonly PosixSignalRegistration[] _registrations;

    public InterruptSignals() =>
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cancellation.Token;

    void Handle(PosixSignalContext context)
    {
        if (_cancellation.IsCancellationRequested)
            return; // the second: the signal's default action ends the process
        context.Cancel = true;
        _cancellation.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
            registration.Dispose();
        _cancellation.Dispose();
    }
}
