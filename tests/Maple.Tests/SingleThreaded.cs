using System.Runtime.CompilerServices;
using TorchSharp;

namespace Maple.Tests;

static class SingleThreaded
{
    // This VM's second core is unreliable under load: the whole suite runs libtorch on one thread.
    [ModuleInitializer]
    internal static void Initialize()
    {
        torch.set_num_threads(1);
        torch.set_num_interop_threads(1);
    }
}
