// `mqgate passwd [-D] FILE USER`: adds or changes USER's password (read
// twice from the terminal without echo, or one line from stdin when it is
// not a terminal), or deletes USER with -D. The file is replaced atomically
// with mode 0600. Returns the exit code: 0, 1 (I/O), 2 (usage, bad file).
#pragma once

namespace mqgate::config {

int passwd_command(int argc, const char* const* argv);

}  // namespace mqgate::config
