// hello_inetd: the per-connection program of the benchmark's inetd-style peer,
// `systemd-socket-activate --inetd -a -l 127.0.0.1:PORT hello_inetd`: the connection is its
// stdin and stdout; it writes "Hello World\n" (or its first argument and "\n") and exits, which
// closes the connection.
#include <unistd.h>

#include <string>

int main(int argc, char** argv) {
  std::string answer = argc > 1 ? argv[1] : "Hello World";
  answer += '\n';
  std::size_t done = 0;
  while (done < answer.size()) {
    const ssize_t n = write(STDOUT_FILENO, answer.data() + done, answer.size() - done);
    if (n <= 0) return 1;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}
