/* placeholder: the CLI entry point is written in the founding session */
int main (void);
int
main (void)
{
  return 0;
}
