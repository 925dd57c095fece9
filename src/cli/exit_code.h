// metaboot's exit codes: a contract, since the initramfs hooks and users
// branch on them. The one definition; the help text and doc/metaboot.8 list
// them.
#pragma once

namespace mb::cli {

enum ExitCode : int {
    ExitOk = 0,
    ExitUsage = 1,
    ExitNoLease = 2,
    ExitNoMetadata = 3,
    ExitWriteFailed = 4,
    ExitTeardownFailed = 5,
    ExitNotCloud = 6,
    // The metadata was read and the state written, but the real root runs no
    // network stack metaboot writes for (render/stack.h): nothing written.
    ExitNoNetworkStack = 7,
};

}
